/**
 * What the daemon keeps between the calls of one `docker run`: attach sessions that arrived
 * before `start` (the CLI attaches to a created container, then starts it), the starts it runs
 * attached (it then owns the container's streams until the exit and cleans up itself), and the
 * exits those report, so that `wait` answers at once. Containers that run detached are followed
 * through the store's events (their monitors record the exit). One RunState per Engine: the
 * daemon's, for its whole life.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';

import { errors, isNotFound } from '../base/index.js';
import type { AttachResult, AttachStreams, ContainerRecord, Engine, EventMessage } from '../api/index.js';
import { exitCodeFor, isSupervisedStatus } from '../api/index.js';
import { frame, streamWriter } from './stream-frames.js';
import { ExecStore } from './exec-sessions.js';

/** A client attached over a hijacked connection, to a running container or waiting for its start. */
export class AttachSession {
  readonly streams: AttachStreams;
  private readonly detacher = new AbortController();
  private stdinPipe: PassThrough | undefined;
  /** Resolved when the session is over (the container exited, the client left or detached). */
  readonly done: Promise<void>;
  private finish: () => void = () => undefined;
  private closed = false;
  private readonly multiplexed: boolean;
  /** Called when the client leaves before the session was handed to the engine. */
  onClientGone: (() => void) | undefined;

  constructor(
    readonly containerId: string,
    private readonly socket: Duplex,
    options: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean; stdinOnce: boolean; detachKeys: Buffer },
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    const multiplexed = !options.tty;
    this.multiplexed = multiplexed;
    const streams: AttachStreams = { detach: this.detacher.signal, detachKeys: options.detachKeys };
    if (options.stdout) streams.stdout = streamWriter(socket, 1, multiplexed);
    if (options.stderr) streams.stderr = streamWriter(socket, 2, multiplexed);
    socket.on('error', () => undefined);
    if (options.stdin) {
      const stdin = new PassThrough();
      this.stdinPipe = stdin;
      streams.stdin = stdin;
      socket.on('data', (chunk: Buffer) => stdin.write(chunk));
      socket.once('end', () => {
        // The client's stdin reached its end (a half-close). dockerd's rule: with StdinOnce and no
        // terminal the container's stdin closes and output goes on; otherwise this session ends.
        if (options.stdinOnce && !options.tty) this.endStdin();
        else this.leave();
      });
    } else {
      // Bytes from a client without stdin are dropped; its half-close (sent at once) means nothing.
      socket.resume();
    }
    socket.once('close', () => {
      if (this.closed) return;
      // The client went away: detach (the container runs on), closing the container's stdin first
      // when it is a StdinOnce container, as dockerd does.
      if (options.stdinOnce) this.endStdin();
      this.leave();
    });
    this.streams = streams;
  }

  private endStdin(): void {
    if (this.stdinPipe && !this.stdinPipe.writableEnded) this.stdinPipe.end();
  }

  /** The client is gone or done: detach from the container and release the connection. */
  private leave(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClientGone?.();
    // Let a close-stdin frame go out before the session to the monitor is dropped.
    setTimeout(() => this.detacher.abort(), 20);
    this.socket.end();
    this.finish();
  }

  get gone(): boolean {
    return this.closed;
  }

  /** The container exited (or the session failed): what was written goes out, then the connection ends. */
  end(message?: string): void {
    if (this.closed) return;
    this.closed = true;
    // An error after the stream began: a system-error frame (which the docker CLI turns into its
    // error), or the text itself on a terminal.
    if (message !== undefined && !this.socket.destroyed) this.socket.write(this.multiplexed ? frame(3, Buffer.from(message)) : `${message}\r\n`);
    const writers = [this.streams.stdout, this.streams.stderr].filter((w) => w !== undefined);
    void Promise.all(writers.map((w) => new Promise<void>((resolve) => {
      w.once('finish', resolve);
      w.once('error', () => resolve());
      w.end();
    }))).then(() => {
      this.socket.end();
      this.finish();
    });
  }
}

export interface ExitNotice {
  exitCode: number;
  /** The container is gone (AutoRemove, or a start that failed with it). */
  removed: boolean;
}

export class RunState {
  /** Sessions waiting for their container's start, by container id. */
  private readonly pending = new Map<string, Set<AttachSession>>();
  /** Exits of containers the daemon ran attached: `exit:<id>` with an ExitNotice. */
  private readonly exits = new EventEmitter();
  readonly execs = new ExecStore();

  constructor(private readonly engine: Engine) {
    this.exits.setMaxListeners(0);
  }

  /** Holds a session until the container's start. */
  hold(session: AttachSession): void {
    const set = this.pending.get(session.containerId) ?? new Set();
    set.add(session);
    this.pending.set(session.containerId, set);
    session.onClientGone = () => {
      set.delete(session);
      if (set.size === 0 && this.pending.get(session.containerId) === set) this.pending.delete(session.containerId);
    };
  }

  /** Attaches a session to a running container until it exits or the client leaves. */
  async attachRunning(session: AttachSession): Promise<void> {
    session.onClientGone = undefined;
    try {
      await this.engine.containers.attach(session.containerId, session.streams);
      session.end();
    } catch (err) {
      session.end((err as Error).message);
    }
  }

  /** The sessions held for a container that is being removed: they end. */
  dropPending(containerId: string): void {
    const set = this.pending.get(containerId);
    this.pending.delete(containerId);
    for (const session of set ?? []) session.end();
  }

  /**
   * Starts a created or stopped container. With sessions held for it, the first is the engine's
   * attached start (it sees all output from the first byte), the others attach once it runs.
   * Resolves once the container runs; a start that fails rejects with the runtime's error.
   */
  async start(record: ContainerRecord): Promise<void> {
    const sessions = [...(this.pending.get(record.id) ?? [])].filter((s) => !s.gone);
    this.pending.delete(record.id);
    const [first, ...others] = sessions;
    if (first === undefined) {
      try {
        await this.engine.containers.start(record.id);
      } catch (err) {
        await this.reportFailure(record.id, err);
        throw err;
      }
      return;
    }
    first.onClientGone = undefined;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const run = this.engine.containers.start(record.id, { attach: first.streams, createThenStart: true, onStarted: () => started() });
    void run.then(
      (result) => this.attachedEnded(record.id, first, result),
      async (err: unknown) => {
        await this.reportFailure(record.id, err);
        for (const s of sessions) s.end();
      },
    );
    await Promise.race([running, run]);
    for (const other of others) void this.attachRunning(other);
  }

  private async attachedEnded(id: string, session: AttachSession, result: AttachResult | undefined): Promise<void> {
    session.end();
    if (result === undefined || !('exitCode' in result)) return;
    // The engine's clean-up is over once the attached start returns: an AutoRemove container still
    // there was kept on purpose (its tear-down reported a problem) and will not go; a `removed`
    // waiter must not wait for it forever.
    this.exits.emit(`exit:${id}`, { exitCode: result.exitCode, removed: (await this.gone(id)) || (await this.kept(id)) } satisfies ExitNotice);
  }

  /** A start that failed: its exit (127, 126, 125) and, for an AutoRemove container, its removal. */
  private async reportFailure(id: string, err: unknown): Promise<void> {
    this.exits.emit(`exit:${id}`, { exitCode: exitCodeFor(err), removed: await this.gone(id) } satisfies ExitNotice);
  }

  /** An AutoRemove container whose exit was recorded instead of removed (see attachedEnded). */
  private async kept(id: string): Promise<boolean> {
    try {
      const record = await this.engine.containers.inspect(id);
      return record.hostConfig.autoRemove && record.state.status === 'exited';
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }

  private async gone(id: string): Promise<boolean> {
    try {
      await this.engine.containers.inspect(id);
      return false;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }

  /**
   * `POST /containers/{id}/wait`: the exit code once the condition holds. `not-running` answers at
   * once for a container that does not run; `next-exit` waits for the next exit; `removed` for
   * the container's removal (with the code of its last exit).
   */
  async wait(record: ContainerRecord, condition: 'not-running' | 'next-exit' | 'removed', signal: AbortSignal): Promise<number> {
    const id = record.id;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    // Follow the event log from its end, opened by the first next() before the state is read:
    // nothing that happens from here on is missed, and the log's past is not read at all.
    const events = this.engine.system.events({ follow: true, filters: ['type=container'], signal: stop.signal })[Symbol.asyncIterator]();
    const first = events.next();
    try {
      const current = await this.engine.containers.inspect(id).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      if (current === undefined) {
        if (condition === 'removed') return record.state.exitCode;
        throw errors.notFound('CONTAINER_NOT_FOUND', `No such container: ${id}`);
      }
      const runs = isSupervisedStatus(current.state.status);
      if (condition === 'not-running' && !runs) return current.state.exitCode;
      return await Promise.race([this.localExit(id, condition, stop.signal), this.eventExit(id, condition, events, first, current.state.exitCode, stop.signal)]);
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
      void first.catch(() => undefined);
    }
  }

  /** An exit the daemon saw itself (an attached start it ran). */
  private localExit(id: string, condition: string, signal: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      const listener = (notice: ExitNotice) => {
        if (condition === 'removed' && !notice.removed) return;
        cleanup();
        resolve(notice.exitCode);
      };
      const cleanup = () => {
        this.exits.off(`exit:${id}`, listener);
        signal.removeEventListener('abort', aborted);
      };
      const aborted = () => {
        cleanup();
        reject(errors.aborted('WAIT_ABORTED', 'the client stopped waiting'));
      };
      this.exits.on(`exit:${id}`, listener);
      signal.addEventListener('abort', aborted, { once: true });
    });
  }

  /** An exit the container's monitor recorded (`die`), or its removal (`destroy`), from the event log. */
  private async eventExit(id: string, condition: string, events: AsyncIterator<EventMessage>, first: Promise<IteratorResult<EventMessage>>, lastExitCode: number, signal: AbortSignal): Promise<number> {
    let last = lastExitCode;
    for (let next = await first; !next.done; next = await events.next()) {
      const event = next.value;
      if (event.Actor.ID !== id) continue;
      if (event.Action === 'die') {
        last = Number(event.Actor.Attributes.exitCode ?? last);
        if (condition !== 'removed') {
          await this.settled(id);
          return last;
        }
        // The monitor removes an AutoRemove container right after its `die`, unless its tear-down
        // reported a problem: then it records the exit and keeps it, and no `destroy` comes.
        if (await this.keptAfterDie(id)) return last;
      } else if (event.Action === 'destroy') {
        return last;
      }
    }
    if (signal.aborted) throw errors.aborted('WAIT_ABORTED', 'the client stopped waiting');
    // No event log to follow: poll the record (an exit, not a removal, is all this can see).
    return this.engine.containers.wait(id, { signal });
  }

  /** After a `die` with `removed` wanted: whether the container was kept (recorded exited) rather than removed. */
  private async keptAfterDie(id: string): Promise<boolean> {
    for (let i = 0; i < 500; i++) {
      try {
        const record = await this.engine.containers.inspect(id);
        if (record.state.status === 'exited' || record.state.status === 'dead') return true;
      } catch (err) {
        if (isNotFound(err)) return false; // removed: the `destroy` event follows
        throw err;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  /** After a `die`: the record says exited (or is gone) a moment later; `ps` right after must see it. */
  private async settled(id: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      try {
        const record = await this.engine.containers.inspect(id);
        if (!['running', 'paused'].includes(record.state.status)) return;
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const states = new WeakMap<Engine, RunState>();

/** The RunState of the daemon that owns `engine`. */
export function runState(engine: Engine): RunState {
  let state = states.get(engine);
  if (!state) {
    state = new RunState(engine);
    states.set(engine, state);
  }
  return state;
}
