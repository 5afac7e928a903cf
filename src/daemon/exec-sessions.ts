/**
 * Exec instances (`POST /containers/{id}/exec`, `/exec/{id}/start`, `/exec/{id}/json`,
 * `/exec/{id}/resize`): kept in the daemon's memory, as dockerd keeps them (a restarted daemon
 * forgets them). The process runs through the Engine's execStreams; its output is relayed over
 * the hijacked connection, framed unless the start asked for a terminal, and its exit code is
 * recorded before that connection closes (the docker CLI reads it right after).
 */
import type { Duplex, Readable } from 'node:stream';

import { errors, randomHex } from '../base/index.js';
import type { Engine, StreamedProcess } from '../api/index.js';
import { streamWriter } from './stream-frames.js';

export interface ExecConfig {
  cmd: string[];
  user: string;
  privileged: boolean;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  env: string[];
  workingDir: string;
  detachKeys: string;
  /** [rows, cols] for the terminal's first size (docker 28 sends it). */
  consoleSize?: [number, number];
}

export interface ExecInstance {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  process?: StreamedProcess;
  /** Resolved once the process runs (or failed to). */
  ready: Promise<void>;
  markReady(): void;
}

/** The most finished execs remembered; older ones are forgotten first. */
const keepFinished = 1000;

export class ExecStore {
  private readonly instances = new Map<string, ExecInstance>();

  create(containerId: string, config: ExecConfig): ExecInstance {
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const instance: ExecInstance = { id: randomHex(32), containerId, config, running: false, started: false, exitCode: null, pid: 0, ready, markReady };
    this.instances.set(instance.id, instance);
    this.forgetOld();
    return instance;
  }

  /** An instance by its full id or a unique prefix; 404 `No such exec instance: X`. */
  get(ref: string): ExecInstance {
    const exact = this.instances.get(ref);
    if (exact) return exact;
    const matches = ref.length >= 1 ? [...this.instances.values()].filter((e) => e.id.startsWith(ref)) : [];
    if (matches.length === 1) return matches[0]!;
    throw errors.notFound('EXEC_NOT_FOUND', `No such exec instance: ${ref}`);
  }

  /**
   * Ids of a container's execs that have not ended (its inspect's ExecIDs): created or running,
   * as dockerd lists them (it drops an exec from the container at its exit; /exec/{id}/json still
   * answers). Ended ones listed too would grow every inspect by 67 bytes per exec ever run.
   */
  ofContainer(containerId: string): string[] {
    return [...this.instances.values()].filter((e) => e.containerId === containerId && !(e.started && !e.running)).map((e) => e.id);
  }

  forgetContainer(containerId: string): void {
    for (const [id, e] of this.instances) if (e.containerId === containerId) this.instances.delete(id);
  }

  private forgetOld(): void {
    const finished = [...this.instances.values()].filter((e) => e.started && !e.running);
    for (const e of finished.slice(0, Math.max(0, finished.length - keepFinished))) this.instances.delete(e.id);
  }
}

/** dockerd's `GET /exec/{id}/json`. */
export function execInspectView(e: ExecInstance) {
  const [entrypoint = '', ...args] = e.config.cmd;
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: { tty: e.config.tty, entrypoint, arguments: args, privileged: e.config.privileged, user: e.config.user },
    OpenStdin: e.config.attachStdin,
    OpenStderr: e.config.attachStderr,
    OpenStdout: e.config.attachStdout,
    CanRemove: false,
    ContainerID: e.containerId,
    DetachKeys: e.config.detachKeys,
    Pid: e.pid || (e.process?.pid() ?? 0),
  };
}

/** Docker's exit code for an exec the runtime could not start (the command is missing or not executable). */
const execFailureCode = 126;

/**
 * Runs an exec instance. Detached (`socket` undefined), its output goes nowhere. Attached, its
 * output goes to `socket` framed unless `tty` (the start body's Tty), its stdin comes from the
 * socket, and the exit code is recorded before the socket ends. Resolves once the process runs.
 */
export async function runExec(engine: Engine, e: ExecInstance, attach: { socket: Duplex; tty: boolean } | undefined): Promise<void> {
  e.started = true;
  e.running = true;
  const c = e.config;
  const stdin = attach !== undefined && c.attachStdin;
  let process: StreamedProcess;
  try {
    process = await engine.containers.execStreams(e.containerId, {
      cmd: c.cmd, tty: c.tty, interactive: stdin, env: c.env, privileged: c.privileged,
      ...(c.user ? { user: c.user } : {}),
      ...(c.workingDir ? { workingDir: c.workingDir } : {}),
      ...(c.consoleSize && c.consoleSize[0] > 0 && c.consoleSize[1] > 0 ? { size: { rows: c.consoleSize[0], cols: c.consoleSize[1] } } : {}),
    });
  } catch (err) {
    e.running = false;
    e.exitCode = execFailureCode;
    e.markReady();
    if (attach) {
      // dockerd writes the error into the stream (as stdout), then closes it.
      const out = streamWriter(attach.socket, 1, !attach.tty);
      out.end(Buffer.from(`${(err as Error).message}\r\n`), () => attach.socket.end());
      return;
    }
    throw err;
  }
  e.process = process;
  e.markReady();
  const sink = attach?.socket;
  /** Each relayed stream's end: everything its source gave has been written to the connection. */
  const relayed: Promise<void>[] = [];
  const relay = (from: Readable | undefined, stream: 1 | 2, wanted: boolean) => {
    if (!from) return;
    if (sink && wanted) {
      const to = streamWriter(sink, stream, !attach.tty);
      from.pipe(to, { end: false });
      // The writer ends when its source does (or is destroyed), not when the process exits: a
      // terminal's output can still be on its way through the source's buffers at the exit.
      relayed.push(new Promise<void>((resolve) => {
        const end = () => to.end();
        if (from.readableEnded || from.destroyed) end();
        from.once('end', end);
        from.once('close', end);
        from.once('error', end);
        to.once('finish', resolve);
        to.once('error', () => resolve());
      }));
    } else {
      from.resume();
    }
  };
  relay(process.stdout, 1, c.attachStdout);
  relay(process.stderr, 2, c.attachStderr);
  if (sink) {
    sink.on('error', () => undefined);
    if (stdin && process.stdin) {
      const input = process.stdin;
      input.on('error', () => undefined);
      sink.on('data', (chunk: Buffer) => input.write(chunk));
      // The client's half-close is the end of the process's stdin.
      const end = () => {
        if (!input.writableEnded) input.end();
      };
      sink.once('end', end);
      sink.once('close', end);
      // startBody paused the socket once it had the body (a body that came after the headers):
      // a 'data' listener does not undo an explicit pause.
      sink.resume();
    } else {
      sink.resume();
    }
  }
  void (async () => {
    let code: number;
    try {
      code = await process.exit;
    } catch {
      // The runtime could not run the command; it said why on the process's stderr (or terminal).
      code = execFailureCode;
    }
    e.pid = process.pid() || e.pid;
    // The exit code is known before the connection ends: the CLI asks for it as soon as it does.
    e.exitCode = code;
    e.running = false;
    await Promise.all(relayed);
    sink?.end();
  })();
}
