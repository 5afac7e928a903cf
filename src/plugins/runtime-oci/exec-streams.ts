/**
 * `<runtime> exec` with the process's stdio as streams, for a caller that relays them over its
 * own connections (the daemon's `POST /exec/{id}/start`): pipes to the runtime's child, or, with a
 * terminal, the pseudo-terminal's master, which crun passes over a `--console-socket`
 * (SCM_RIGHTS) once it has made the terminal in the container. One terminal, as dockerd's, so a
 * resize is one ioctl on the master and the process sees SIGWINCH. runc, which passes one only
 * when it detaches, copies the container's terminal to a pseudo-terminal of berth's instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable, type Readable } from 'node:stream';
import { ReadStream } from 'node:tty';

import { errors, randomHex } from '../../base/index.js';
import type { StreamedProcess } from '../../core/runtime/index.js';
import { openPty, ptyPeer, recvFd, setWindowSize, spawnPiped } from '../../sys/index.js';
import { sealedRuntime } from './sealed-runtime.js';

export interface ExecStreamsRuntime {
  binary: string;
  /**
   * How a terminal exec gets its terminal: crun passes the container's over a console socket;
   * runc does only when it detaches, so it is given a pseudo-terminal of berth's as its stdio.
   */
  terminal: 'console-socket' | 'own-pty';
  /** The runtime's global options with its JSON log at `log`. */
  globalArgs(log: string): string[];
  logDir: string;
  /** The exec's exit code, or the runtime's error from its log (see RuntimeDriver.execOutcome). */
  outcome(log: string, code: number): Promise<number>;
}

/** How long output may still come after the process exited (other processes can hold it open). */
const drainGraceMs = 1000;
/** How long after the runtime's exit its connection to the console socket may still be accepted. */
const lateConnectionMs = 250;
/** How long the runtime may take to hand over the terminal. */
const consoleTimeoutMs = 30_000;

/** One exec's own files beside the runtime's logs: its JSON log and its pid file. */
function execFilePaths(runtime: ExecStreamsRuntime, id: string): { log: string; pidFile: string } {
  const stem = join(runtime.logDir, `${id}.exec-${process.pid}-${randomHex(4)}`);
  return { log: `${stem}.json`, pidFile: `${stem}.pid` };
}

export async function execStreams(runtime: ExecStreamsRuntime, id: string, processFile: string, options: { tty: boolean; stdin: boolean; size?: { rows: number; cols: number } }): Promise<StreamedProcess> {
  const { log, pidFile } = execFilePaths(runtime, id);
  let pid = 0;
  const readPid = () => {
    if (pid === 0) {
      try {
        pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10) || 0;
      } catch {
        // Not written yet.
      }
    }
    return pid;
  };
  // Synchronous: two unlinks cost microseconds, where fs/promises' round trips through the thread
  // pool cost ~1 ms before the exit code was known (the docker CLI waits for it).
  const cleanup = async () => {
    readPid();
    rmSync(log, { force: true });
    rmSync(pidFile, { force: true });
  };
  return options.tty ? terminalExec(runtime, id, processFile, { ...options, log, pidFile, readPid, cleanup }) : pipedExec(runtime, id, processFile, { ...options, log, pidFile, readPid, cleanup });
}

interface ExecFiles {
  stdin: boolean;
  size?: { rows: number; cols: number };
  log: string;
  pidFile: string;
  readPid: () => number;
  cleanup: () => Promise<void>;
}

/** The child's exit status as a shell reports it. */
function exitStatus(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? ({ SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1 : 0)));
  });
}

/** Resolves when every stream ended, or `graceMs` after `after` settled (then they are destroyed). */
async function drained(streams: Readable[], after: Promise<unknown>, graceMs: number): Promise<void> {
  const ends = streams.map((s) => new Promise<void>((resolve) => {
    if (s.readableEnded || s.destroyed) return resolve();
    s.once('end', resolve);
    s.once('close', resolve);
    s.once('error', () => resolve());
  }));
  const all = Promise.all(ends);
  await after.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const how = await Promise.race([all.then(() => 'ended' as const), timeout]);
  clearTimeout(timer);
  if (how === 'late') for (const s of streams) s.destroy();
}

async function pipedExec(runtime: ExecStreamsRuntime, id: string, processFile: string, files: ExecFiles): Promise<StreamedProcess> {
  const args = [...runtime.globalArgs(files.log), 'exec', '--process', processFile, '--pid-file', files.pidFile, id];
  // Its own session: no signal meant for the caller reaches it. Through posix_spawn, not
  // child_process's fork (see sys/spawn-piped.ts): the daemon's event loop is not held meanwhile.
  let child;
  try {
    // From a sealed copy of the runtime when it takes one (./sealed-runtime.ts): no self-copy per exec.
    child = spawnPiped(runtime.binary, args, files.stdin, sealedRuntime(runtime.binary));
  } catch (err) {
    await files.cleanup();
    throw errors.unavailable('RUNTIME_UNAVAILABLE', `Cannot run OCI runtime "${runtime.binary}": ${(err as Error).message}`, { cause: err });
  }
  const { status, stdout, stderr } = child;
  child.stdin?.on('error', () => undefined);
  const exit = (async () => {
    try {
      const code = await status;
      await drained([stdout, stderr], Promise.resolve(), drainGraceMs);
      return await runtime.outcome(files.log, code);
    } finally {
      await files.cleanup();
    }
  })();
  exit.catch(() => undefined);
  return {
    pid: () => files.readPid(),
    ...(child.stdin ? { stdin: child.stdin } : {}),
    stdout,
    stderr,
    resize: () => undefined,
    exit,
  };
}

/**
 * A `--console-socket` listening in a short directory of its own (sun_path holds 108 bytes), and
 * its first connection, paused so that Node never reads the runtime's message itself.
 */
async function openConsoleSocket(): Promise<{ path: string; connection: Promise<Socket>; connected: () => boolean; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-console-'));
  const path = join(dir, 'console');
  const server: Server = createServer({ pauseOnConnect: true });
  const close = async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
  } catch (err) {
    await close();
    throw err;
  }
  let connected = false;
  const connection = new Promise<Socket>((resolve) => server.once('connection', (socket: Socket) => {
    connected = true;
    resolve(socket);
  }));
  return { path, connection, connected: () => connected, close };
}

async function terminalExec(runtime: ExecStreamsRuntime, id: string, processFile: string, files: ExecFiles): Promise<StreamedProcess> {
  return runtime.terminal === 'own-pty' ? ownPtyTerminalExec(runtime, id, processFile, files) : consoleSocketTerminalExec(runtime, id, processFile, files);
}

/** Gives a new terminal the caller's size, when it has one. */
function sizeTerminal(master: number, size: ExecFiles['size']): void {
  if (size && size.rows > 0 && size.cols > 0) setWindowSize(master, size.rows, size.cols);
}

/** The runtime, from its sealed copy when it takes one (./sealed-runtime.ts), detached: its own session. */
function spawnRuntime(runtime: ExecStreamsRuntime, args: string[], stdio: ['ignore' | number, 'pipe' | number, 'pipe' | number]): ChildProcess {
  const sealed = sealedRuntime(runtime.binary);
  return sealed === undefined
    ? spawn(runtime.binary, args, { stdio, detached: true })
    : spawn('/proc/self/fd/3', args, { argv0: runtime.binary, stdio: [...stdio, sealed], detached: true });
}

/** crun's way: it makes the terminal in the container and passes its master over a console socket. */
async function consoleSocketTerminalExec(runtime: ExecStreamsRuntime, id: string, processFile: string, files: ExecFiles): Promise<StreamedProcess> {
  const consoleSocket = await openConsoleSocket();
  let child: ChildProcess | undefined;
  try {
    const { connection, connected } = consoleSocket;
    const args = [...runtime.globalArgs(files.log), 'exec', '--process', processFile, '--tty', '--console-socket', consoleSocket.path, '--pid-file', files.pidFile, id];
    child = spawnRuntime(runtime, args, ['ignore', 'pipe', 'pipe']);
    const status = exitStatus(child);
    // The runtime's own messages (its errors) go where the terminal's output goes.
    const runtimeOutput = new PassThrough();
    child.stdout?.pipe(runtimeOutput, { end: false });
    child.stderr?.pipe(runtimeOutput, { end: false });
    const master = await Promise.race([
      connection.then((socket) => receiveMaster(socket, () => child?.exitCode !== null || child?.signalCode !== null)),
      status.then(async (code) => {
        // A quick command's runtime can pass the terminal and exit before this process accepted
        // its connection: the master waits there, and receiveMaster takes it after the exit.
        if (!connected()) await new Promise((r) => setTimeout(r, lateConnectionMs));
        if (connected()) return new Promise<never>(() => undefined);
        // A runtime failure rejects here with the runtime's own error.
        await runtime.outcome(files.log, code);
        // The runtime ran the process, so it passed the terminal first: its connection is still
        // queued behind a busy event loop. It wins this race (or the timeout below does).
        return new Promise<never>(() => undefined);
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(errors.unavailable('RUNTIME_TIMEOUT', `${runtime.binary} exec did not pass the terminal within ${consoleTimeoutMs / 1000} s`)), consoleTimeoutMs).unref()),
    ]);
    sizeTerminal(master, files.size);
    // A descriptor of the terminal's other side, held until the runtime has exited: without it the
    // master's reads could end (EIO, or 0 after a hang-up) as the command exits, before its last
    // output was read (seen with crun under load: "got x" lost after the echo of the typed "x").
    return streamTerminal(runtime, files, { master, peer: ptyPeer(master), child, status, runtimeOutput, resize: (rows, cols) => setWindowSize(master, rows, cols) });
  } catch (err) {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await files.cleanup();
    throw err;
  } finally {
    await consoleSocket.close();
  }
}

/**
 * runc's way: runc passes a terminal over a console socket only when it detaches, leaving the
 * process to whoever reaps it ("cannot use console socket if runc will not detach or allocate
 * tty"). In the foreground it makes the container's terminal itself and copies it to and from its
 * own stdio, sizing it from its stdin's and again on each SIGWINCH. Its stdio is a pseudo-terminal
 * berth makes, whose master berth serves as it serves crun's.
 */
async function ownPtyTerminalExec(runtime: ExecStreamsRuntime, id: string, processFile: string, files: ExecFiles): Promise<StreamedProcess> {
  const [master, slave] = openPty();
  let child: ChildProcess | undefined;
  try {
    sizeTerminal(master, files.size);
    const args = [...runtime.globalArgs(files.log), 'exec', '--process', processFile, '--tty', '--pid-file', files.pidFile, id];
    child = spawnRuntime(runtime, args, [slave, slave, slave]);
    const runtimeChild = child;
    const status = exitStatus(child);
    // Its errors come on the terminal; the slave stays open here until it exits (as crun's peer).
    return streamTerminal(runtime, files, {
      master, peer: slave, child, status,
      resize(rows, cols) {
        setWindowSize(master, rows, cols);
        if (runtimeChild.exitCode === null && runtimeChild.signalCode === null) runtimeChild.kill('SIGWINCH');
      },
    });
  } catch (err) {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    closeSync(master);
    closeSync(slave);
    await files.cleanup();
    throw err;
  }
}

/**
 * A terminal exec's streams from its master: output until the master ends (the runtime's own
 * messages, when it has them apart, mixed in), input written to it, and the exit once the
 * runtime exited. `peer`, a descriptor of the terminal's other side, is held until then.
 */
function streamTerminal(runtime: ExecStreamsRuntime, files: ExecFiles, t: { master: number; peer: number | undefined; child: ChildProcess; status: Promise<number>; runtimeOutput?: Readable; resize(rows: number, cols: number): void }): StreamedProcess {
  const { master, child, status } = t;
  let peer = t.peer;
  const dropPeer = () => {
    if (peer !== undefined) closeSync(peer);
    peer = undefined;
  };
  const terminal = new ReadStream(master);
  // Reading a master whose other side closed fails with EIO: that is its end.
  terminal.on('error', () => terminal.push(null));
  const stdout = new PassThrough();
  terminal.pipe(stdout, { end: false });
  t.runtimeOutput?.pipe(stdout, { end: false });
  const stdin = files.stdin
    ? new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (terminal.destroyed) return callback();
        terminal.write(chunk, () => callback());
      },
      final(callback) {
        // A terminal has no separate stdin to close: send its end-of-file character.
        if (!terminal.destroyed) terminal.write('\x04');
        callback();
      },
    })
    : undefined;
  const exit = (async () => {
    try {
      const code = await status;
      // The command has exited and written all it will: the master ends once that is read.
      dropPeer();
      await drained([terminal], Promise.resolve(), drainGraceMs);
      // The runtime's own output, whatever is left of it.
      await new Promise((r) => setImmediate(r));
      return await runtime.outcome(files.log, code);
    } finally {
      dropPeer();
      terminal.destroy();
      stdout.end();
      await files.cleanup();
    }
  })();
  exit.catch(() => undefined);
  return {
    pid: () => files.readPid(),
    ...(stdin ? { stdin } : {}),
    stdout,
    resize(rows, cols) {
      if (!terminal.destroyed && rows > 0 && cols > 0) t.resize(rows, cols);
    },
    release() {
      if (terminal.destroyed) return;
      dropPeer();
      holdTerminal(master);
      terminal.unpipe(stdout);
      terminal.destroy();
      // The runtime waits for the process on its own; nothing of it keeps this process alive.
      child.unref();
      child.stdout?.destroy();
      child.stderr?.destroy();
      stdout.end();
      void files.cleanup();
    },
    exit,
  };
}

/**
 * `exec --detach --tty`: the runtime makes the terminal, starts the process and returns; the
 * master it passed over the console socket goes to a holder process that reads it to its end (a
 * detached exec's output goes nowhere, as with Docker), since a master closed with berth would
 * hang the process up before it ran. Resolves with 0 once the process runs; rejects with the
 * runtime's error when it could not start.
 */
export async function detachedTerminalExec(runtime: ExecStreamsRuntime, id: string, processFile: string): Promise<number> {
  const { log } = execFilePaths(runtime, id);
  const consoleSocket = await openConsoleSocket();
  let master: number | undefined;
  try {
    const args = [...runtime.globalArgs(log), 'exec', '--process', processFile, '--detach', '--tty', '--console-socket', consoleSocket.path, id];
    const child = spawn(runtime.binary, args, { stdio: 'ignore', detached: true });
    const code = await exitStatus(child);
    // The runtime passes the terminal before it starts the process: a failure to start rejects here.
    const outcome = await runtime.outcome(log, code);
    if (outcome !== 0) return outcome;
    let late: NodeJS.Timeout | undefined;
    const passed = await Promise.race([consoleSocket.connection, new Promise<undefined>((r) => (late = setTimeout(() => r(undefined), lateConnectionMs)))]);
    clearTimeout(late);
    if (passed === undefined) throw errors.unknown('CONSOLE_SOCKET', `${runtime.binary} exec started the process without passing its terminal`);
    master = await receiveMaster(passed, () => true);
    holdTerminal(master);
    return 0;
  } finally {
    if (master !== undefined) closeSync(master);
    rmSync(log, { force: true });
    await consoleSocket.close();
  }
}

/**
 * Gives a terminal's master to a holder of its own session, outside berth: `cat` reads it, output
 * discarded, until the terminal's last user is gone (EIO), as containerd-shim holds a detached
 * exec's terminal. The caller closes its own descriptor.
 */
function holdTerminal(master: number): void {
  const holder = spawn('cat', [], { stdio: [master, 'ignore', 'ignore'], detached: true, cwd: '/' });
  holder.on('error', () => undefined);
  holder.unref();
}

/** The master the runtime sends over its connection to the console socket (not read by Node). */
async function receiveMaster(socket: Socket, runtimeGone: () => boolean): Promise<number> {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  try {
    if (typeof fd !== 'number' || fd < 0) throw errors.unknown('CONSOLE_SOCKET', 'cannot read the console socket: no descriptor');
    for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
      const gone = runtimeGone();
      const master = recvFd(fd);
      if (master !== null) return master;
      if (gone) throw errors.unknown('CONSOLE_SOCKET', 'the runtime exited without passing the terminal');
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    socket.destroy();
  }
}
