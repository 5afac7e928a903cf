/**
 * Talking to berth-monitor (native/berth_monitor.c), the per-container process that holds a
 * container's streams, writes its log and waits for it. One framed protocol serves the monitor's
 * owner (the process that spawned it, over fd 3) and attached clients (its `attach` socket): a
 * frame is Docker's stream header — kind, three zero bytes, a 32-bit big-endian length — and a
 * payload. The header comment of berth_monitor.c lists the kinds.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { join } from 'node:path';

import { errors, errnoCode } from '../base/index.js';
import type { MonitorSpawner } from './engine-context.js';

export const frameKind = { stdin: 0, stdout: 1, stderr: 2, event: 3, closeStdin: 4, resize: 5, start: 6, done: 7, hello: 9 } as const;

export type MonitorEvent =
  | { event: 'created'; pid: number; monitor: number }
  | { event: 'create-failed'; status: number }
  | { event: 'started' }
  | { event: 'start-failed'; status: number }
  | { event: 'exited'; exitCode: number };

export function encodeFrame(kind: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Splits a byte stream into frames; keeps partial ones for the next chunk. */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (kind: number, payload: Buffer) => void) {}
  push(chunk: Buffer): void {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    while (this.#pending.length >= 8) {
      const length = this.#pending.readUInt32BE(4);
      if (this.#pending.length < 8 + length) break;
      const kind = this.#pending[0] as number;
      const payload = this.#pending.subarray(8, 8 + length);
      this.#pending = this.#pending.subarray(8 + length);
      this.onFrame(kind, payload);
    }
  }
}

export interface SessionHandlers {
  stdout?: (chunk: Buffer) => void;
  stderr?: (chunk: Buffer) => void;
  event?: (event: MonitorEvent) => void;
  /** The monitor closed the connection (after `exited`, or because it died). */
  close?: () => void;
}

export interface Hello {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  /** The owner cleans up after the exit itself (and says `done`); otherwise the exit command does. */
  cleanup?: boolean;
}

/** One connection to a monitor: frames in, events and output out. */
export class MonitorSession {
  readonly #socket: Socket;
  #closed = false;
  constructor(socket: Socket, handlers: SessionHandlers) {
    this.#socket = socket;
    const decoder = new FrameDecoder((kind, payload) => {
      if (kind === frameKind.stdout) handlers.stdout?.(payload);
      else if (kind === frameKind.stderr) handlers.stderr?.(payload);
      else if (kind === frameKind.event) handlers.event?.(JSON.parse(payload.toString()) as MonitorEvent);
    });
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      handlers.close?.();
    });
  }
  get closed(): boolean {
    return this.#closed;
  }
  send(kind: number, payload?: Buffer | string): void {
    if (!this.#closed) this.#socket.write(encodeFrame(kind, payload));
  }
  hello(hello: Hello): void {
    this.send(frameKind.hello, JSON.stringify(hello));
  }
  stdin(chunk: Buffer): void {
    this.send(frameKind.stdin, chunk);
  }
  resize(rows: number, cols: number): void {
    this.send(frameKind.resize, `${rows} ${cols}`);
  }
  /** Ends the connection once what was sent has been written. */
  end(): void {
    this.#socket.end();
  }
  destroy(): void {
    this.#socket.destroy();
  }
  /** Lets the process exit while this connection is open (a detached container's owner). */
  unref(): void {
    this.#socket.unref();
  }
}

export interface MonitorLaunch {
  binary: string;
  id: string;
  bundle: string;
  /** The runtime's command line: binary and global options. */
  runtime: string[];
  /** Where the monitor keeps its socket, pid and exit files: the container's directory. */
  dir: string;
  log: { driver: string; path: string; maxSize: number; maxFile: number; compress: boolean; attrs?: Record<string, string> };
  terminal: boolean;
  /** `<runtime> run` (one runtime process) for a container whose owner stays attached. */
  run: boolean;
  /**
   * Otherwise, `<runtime> run --detach` rather than create + start (one runtime process instead of
   * two): the container runs before the owner's go-ahead, its output and exit held until then.
   */
  runDetached?: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  exitCommand: string[];
  /**
   * Health probes: the monitor runs `command` every `intervalMs` (every `startIntervalMs` during
   * the first `startPeriodMs`, until a probe exits 0), one at a time, with no berth process needed.
   */
  health?: { command: string[]; intervalMs: number; startPeriodMs: number; startIntervalMs: number };
}

/**
 * Spawns a monitor with `hello` said; the returned session is its owner connection (fd 3), and
 * `exited` settles once the monitor's process (its exit command included) has ended. Through
 * `spawner` when given (posix_spawn, src/sys/spawn-channel.ts: the hello is in the socket before
 * the monitor starts), else child_process.
 */
export function spawnMonitor(launch: MonitorLaunch, handlers: SessionHandlers, hello: Hello, spawner?: MonitorSpawner): { session: MonitorSession; exited: () => Promise<void> } {
  const [runtimeBinary = '', ...runtimeArgs] = launch.runtime;
  const [exitBinary, ...exitArgs] = launch.exitCommand;
  const args = [
    '--id', launch.id, '--bundle', launch.bundle, '--dir', launch.dir, '--runtime', runtimeBinary,
    ...runtimeArgs.flatMap((a) => ['--runtime-arg', a]),
    '--log-driver', launch.log.driver, '--log-path', launch.log.path,
    ...(launch.log.maxSize ? ['--log-max-size', String(launch.log.maxSize)] : []),
    ...(launch.log.maxFile ? ['--log-max-file', String(launch.log.maxFile)] : []),
    ...(launch.log.compress ? ['--log-compress'] : []),
    ...(launch.log.attrs && Object.keys(launch.log.attrs).length > 0 ? ['--log-attrs', JSON.stringify(launch.log.attrs)] : []),
    ...(launch.terminal ? ['--terminal'] : []),
    ...(launch.run ? ['--run'] : launch.runDetached ? ['--run-detached'] : []),
    ...(launch.stdin ? ['--stdin'] : []),
    ...(launch.stdinOnce ? ['--stdin-once'] : []),
    ...(exitBinary ? ['--exit-command', exitBinary, ...exitArgs.flatMap((a) => ['--exit-arg', a])] : []),
    ...healthArgs(launch.health),
  ];
  // Its own session: no terminal signal reaches it, and it outlives us. It must not hold our
  // stdout/stderr open (a caller reading them to the end would wait for the container): its own
  // errors go to a file beside its other files.
  if (!existsSync(launch.binary)) {
    throw errors.unavailable('MONITOR_MISSING', `The container monitor ${launch.binary} is missing: run ./scripts/setup.sh in the berth checkout`);
  }
  const errFd = openSync(join(launch.dir, 'monitor.log'), 'a', 0o600);
  const helloFrame = encodeFrame(frameKind.hello, JSON.stringify(hello));
  let spawned: ReturnType<MonitorSpawner>;
  let child: ChildProcess | undefined;
  try {
    spawned = spawner?.(launch.binary, args, errFd, helloFrame);
    if (!spawned) child = spawn(launch.binary, args, { stdio: ['ignore', 'ignore', errFd, 'pipe'], detached: true });
  } finally {
    closeSync(errFd);
  }
  if (spawned) {
    return { session: new MonitorSession(new Socket({ fd: spawned.fd, readable: true, writable: true }), handlers), exited: spawned.exited };
  }
  const started = child as ChildProcess;
  started.unref();
  const exit = new Promise<void>((resolve) => started.once('exit', () => resolve()));
  const session = new MonitorSession(started.stdio[3] as Socket, handlers);
  session.send(frameKind.hello, JSON.stringify(hello));
  // Waiting for its exit keeps this process alive until it comes (the child is unref'd).
  const exited = () => {
    started.ref();
    return exit;
  };
  return { session, exited };
}

/** Connects to a running container's monitor (its `attach` socket in `dir`). */
export async function connectMonitor(dir: string, name: string, handlers: SessionHandlers): Promise<MonitorSession> {
  // sun_path holds 108 bytes: reach the socket through a short /proc/self/fd path to its directory.
  let dirFd: number;
  try {
    dirFd = openSync(dir, 'r');
  } catch (err) {
    throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Container ${name} is not running`, { cause: err });
  }
  try {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(join(`/proc/self/fd/${dirFd}`, 'attach'));
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    return new MonitorSession(socket, handlers);
  } catch (err) {
    if (['ENOENT', 'ECONNREFUSED'].includes(errnoCode(err) ?? '')) {
      throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Container ${name} is not running`, { cause: err });
    }
    throw err;
  } finally {
    closeSync(dirFd);
  }
}

function healthArgs(health: MonitorLaunch['health']): string[] {
  const [binary, ...args] = health?.command ?? [];
  if (!health || binary === undefined || health.intervalMs <= 0) return [];
  return [
    '--health-command', binary, ...args.flatMap((a) => ['--health-arg', a]),
    '--health-interval-ms', String(Math.round(health.intervalMs)),
    '--health-start-period-ms', String(Math.round(health.startPeriodMs)),
    '--health-start-interval-ms', String(Math.round(health.startIntervalMs)),
  ];
}
