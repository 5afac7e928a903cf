import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants } from 'node:os';

import type { BerthError } from '../../base/index.js';
import { errors, ignoreErrno, isNotFound, unlinkIfExists } from '../../base/index.js';
import { detachedTerminalExec, execStreams, type ExecStreamsRuntime } from './exec-streams.js';
import { createSeccompFilters } from './seccomp-filters.js';
import type { ProbeResult, RunResult, RuntimeDriver, RuntimeState, Stdio } from '../../core/runtime/index.js';

export interface OciRuntimeOptions {
  /** `crun` or `runc` (or a path to a compatible binary). */
  binary: string;
  /** The runtime's state directory (`--root`), private to this berth store. */
  stateDir: string;
  /** Where the runtime's JSON logs go, one file per container id. */
  logDir: string;
  /** Where crun's compiled seccomp filters are kept (seccomp-filters.ts); default `<stateDir>-seccomp`. */
  seccompCacheDir?: string;
}

/** The most processes Linux allows (4M on 64-bit): no pids limit at all in effect. */
const PID_MAX_LIMIT = 4194304;

/** Drives crun or runc through the OCI runtime command line, with a JSON log per container. */
export function createOciRuntime(options: OciRuntimeOptions): RuntimeDriver {
  const name = options.binary.split('/').pop() ?? options.binary;
  const logFile = (id: string) => join(options.logDir, `${id}.json`);
  /**
   * The log of a container's monitor-driven runtime (create, start, run), its own file: the
   * shared one may hold a stale error of an earlier command (a refused `pause`), which a `run`
   * ending with the container's own non-zero status must not take for its failure.
   */
  const monitorLogFile = (id: string) => join(options.logDir, `${id}.monitor.json`);
  const globalArgs = (id: string, log = logFile(id)) => ['--root', options.stateDir, '--log', log, '--log-format', 'json'];
  let dirsReady: Promise<unknown> | undefined;
  const ensureDirs = () => (dirsReady ??= Promise.all([mkdir(options.stateDir, { recursive: true }), mkdir(options.logDir, { recursive: true })]));

  function exec(id: string, args: string[], stdio: Stdio | 'pipe' = 'pipe', onSpawn?: (pid: number) => void, ownGroup = stdio !== 'pipe', log = logFile(id)): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      // Its own process group: a terminal's signals reach the container only through berth's proxy.
      const child = spawn(options.binary, [...globalArgs(id, log), ...args], { stdio: stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : stdio, detached: ownGroup });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (err) => reject(errors.unavailable('RUNTIME_UNAVAILABLE', `Cannot run OCI runtime "${options.binary}": ${err.message}`, { cause: err })));
      if (onSpawn && child.pid !== undefined) onSpawn(child.pid);
      child.on('close', (code, signal) => resolve({ code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr }));
    });
  }

  /** This runtime as exec-streams.ts drives it for container `id`. */
  const streamsRuntime = (id: string): ExecStreamsRuntime => ({
    binary: options.binary, terminal: name === 'crun' ? 'console-socket' : 'own-pty', globalArgs: (log) => globalArgs(id, log), logDir: options.logDir, outcome: (log, code) => execOutcome(id, log, code),
  });

  /**
   * crun and runc exit 255 with an error logged when the exec itself failed (a missing or
   * non-executable command, an unknown container: seen with crun 1.8 and runc 1.1). Any other
   * status is the command's own, whatever the log holds: a command that exits 5 is not a failed exec.
   */
  async function execOutcome(id: string, log: string, code: number): Promise<number> {
    if (code === 255) {
      const message = await lastLogError(log);
      if (message !== undefined) throw runtimeError(name, id, 'exec', message);
    }
    return code;
  }

  async function failure(id: string, verb: string, fallback: string): Promise<BerthError> {
    const message = (await lastLogError(logFile(id))) ?? fallback.trim();
    return runtimeError(name, id, verb, message);
  }

  async function checked(id: string, verb: string, args: string[]): Promise<string> {
    await ensureDirs();
    const result = await exec(id, args);
    if (result.code !== 0) throw await failure(id, verb, result.stderr);
    return result.stdout;
  }

  /** `kill`, retried while the runtime does not know the container yet and `done()` is false. */
  async function killWhenCreated(id: string, sig: string, done: () => boolean): Promise<void> {
    for (;;) {
      try {
        await checked(id, 'kill', ['kill', id, sig]);
        return;
      } catch (err) {
        if (done() || !isNotFound(err)) throw err;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  // Only crun takes a compiled filter (run.oci.seccomp_bpf_data), and only crun's state holds one to keep.
  const seccompFilters = name === 'crun' ? createSeccompFilters({
    binary: options.binary,
    // Read when first needed, like the driver's own state folders (see below).
    get stateDir() {
      return options.stateDir;
    },
    get cacheDir() {
      return options.seccompCacheDir ?? `${options.stateDir}-seccomp`;
    },
  }) : undefined;

  return {
    name,
    ...(seccompFilters ? { seccompFilters } : {}),
    // Getters: the engine names its state folders lazily (naming them loads node:crypto), and a
    // driver made only for its name (inspect's HostConfig.Runtime) never reads them.
    get commandLine() {
      return [options.binary, '--root', options.stateDir];
    },
    get stateDir() {
      return options.stateDir;
    },
    get logDir() {
      return options.logDir;
    },
    invocation(id) {
      // The monitor runs the runtime with its log in logDir: both directories must exist by then.
      mkdirSync(options.stateDir, { recursive: true });
      mkdirSync(options.logDir, { recursive: true });
      unlinkIfExists(monitorLogFile(id));
      return [options.binary, ...globalArgs(id, monitorLogFile(id))];
    },
    async loggedError(id, verb) {
      const message = await lastLogError(monitorLogFile(id));
      return message === undefined ? undefined : runtimeError(name, id, verb, message);
    },
    async failure(id, verb, fallback) {
      const message = (await lastLogError(monitorLogFile(id))) ?? fallback.trim();
      return runtimeError(name, id, verb, message);
    },
    async exec(id, processFile, { stdio, detach = false, tty = false }) {
      await ensureDirs();
      if (detach && tty) {
        return detachedTerminalExec(streamsRuntime(id), id, processFile);
      }
      const args = ['exec', '--process', processFile, ...(detach ? ['--detach'] : []), ...(tty ? ['--tty'] : []), id];
      // Its own log: only this exec's errors count. A terminal session stays in berth's process
      // group: it reads the terminal (a background group would get SIGTTIN).
      const log = join(options.logDir, `${id}.exec-${process.pid}-${Date.now()}.json`);
      try {
        const result = await exec(id, args, stdio, undefined, !tty, log);
        return await execOutcome(id, log, result.code);
      } finally {
        rmSync(log, { force: true });
      }
    },
    execOutcome,
    async execStreams(id, processFile, streamOptions) {
      await ensureDirs();
      return execStreams(streamsRuntime(id), id, processFile, streamOptions);
    },
    async probe(id, processFile, { pidFile, timeoutMs, outputLimit }) {
      await ensureDirs();
      // Its own log: a probe's error must not be read as another command's (nor theirs as its).
      const probeLog = join(options.logDir, `${id}.probe.json`);
      await ignoreErrno(['ENOENT'], () => rm(probeLog), undefined);
      await ignoreErrno(['ENOENT'], () => rm(pidFile), undefined);
      const args = ['--root', options.stateDir, '--log', probeLog, '--log-format', 'json', 'exec', '--process', processFile, '--pid-file', pidFile, id];
      const result = await new Promise<ProbeResult>((resolve, reject) => {
        const child = spawn(options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        const chunks: Buffer[] = [];
        let size = 0;
        const collect = (d: Buffer) => {
          if (size >= outputLimit) return;
          const part = d.subarray(0, outputLimit - size);
          chunks.push(part);
          size += part.length;
        };
        child.stdout.on('data', collect);
        child.stderr.on('data', collect);
        let timedOut = false;
        let exited = false;
        const output = () => Buffer.concat(chunks).toString();
        const timer = setTimeout(() => {
          timedOut = true;
          // Kill the probe process itself (crun waits for it, so its pid is still its own), or the
          // runtime while it has not started it yet.
          void readFile(pidFile, 'utf8').then((text) => Number.parseInt(text, 10), () => NaN).then((pid) => {
            if (exited) return;
            try {
              if (pid > 0) process.kill(pid, 'SIGKILL');
              else child.kill('SIGKILL');
            } catch {
              child.kill('SIGKILL');
            }
          });
        }, timeoutMs);
        child.on('error', (err) => {
          clearTimeout(timer);
          reject(errors.unavailable('RUNTIME_UNAVAILABLE', `Cannot run OCI runtime "${options.binary}": ${err.message}`, { cause: err }));
        });
        // A timed-out probe may have left children holding its output open: do not wait for them.
        child.on('exit', (code, signal) => {
          exited = true;
          clearTimeout(timer);
          const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
          const done = () => {
            child.stdout.destroy();
            child.stderr.destroy();
            resolve({ exitCode, output: output(), timedOut });
          };
          // What is still in the pipes comes within moments; a background process may hold them longer.
          const grace = setTimeout(done, timedOut ? 0 : 1000);
          child.once('close', () => {
            clearTimeout(grace);
            done();
          });
        });
      });
      if (!result.timedOut && result.exitCode !== 0) {
        const message = await lastLogError(probeLog);
        if (message !== undefined) result.error = message;
      }
      await ignoreErrno(['ENOENT'], () => rm(probeLog), undefined);
      await ignoreErrno(['ENOENT'], () => rm(pidFile), undefined);
      return result;
    },
    async run(id, bundle, { stdio, signal, onSpawn }): Promise<RunResult> {
      await ensureDirs();
      await ignoreErrno(['ENOENT'], () => rm(logFile(id)), undefined);
      if (signal?.aborted) throw errors.aborted('RUN_ABORTED', `Container "${id}" was not started: the run was aborted`);
      let settled = false;
      // The runtime may not have created the container yet: retry until it has or the run ends.
      const onAbort = () => void killWhenCreated(id, 'KILL', () => settled).catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await exec(id, ['run', '--bundle', bundle, '--pid-file', join(bundle, 'container.pid'), id], stdio, onSpawn).finally(() => (settled = true));
        // A container may itself exit 1; only an error in the runtime's log makes it a runtime failure.
        if (result.code === 1) {
          const message = await lastLogError(logFile(id));
          if (message !== undefined) throw runtimeError(name, id, 'run', message);
        }
        return { exitCode: result.code };
      } finally {
        signal?.removeEventListener('abort', onAbort);
        await ignoreErrno(['ENOENT'], () => rm(logFile(id)), undefined);
      }
    },
    async create(id, bundle, { stdio, pidFile }) {
      await ensureDirs();
      const result = await exec(id, ['create', '--bundle', bundle, '--pid-file', pidFile, id], stdio);
      if (result.code !== 0) throw await failure(id, 'create', result.stderr);
    },
    async start(id) {
      await checked(id, 'start', ['start', id]);
    },
    async state(id): Promise<RuntimeState> {
      return JSON.parse(await checked(id, 'state', ['state', id])) as RuntimeState;
    },
    async kill(id, sig, { all = false } = {}) {
      await checked(id, 'kill', ['kill', ...(all ? ['--all'] : []), id, sig]);
    },
    async update(id, resources) {
      // The runtimes read the resources from a file (`-` would be stdin, which exec does not pipe).
      await ensureDirs();
      const dir = await mkdtemp(join(options.logDir, `update-${id.slice(0, 12)}-`));
      try {
        const file = join(dir, 'resources.json');
        // crun 1.8 writes a pids limit of -1 ("unlimited" in the spec) as is, which the kernel
        // refuses, and ignores 0: give it the kernel's largest pid count instead (PID_MAX_LIMIT).
        const fixed = name === 'crun' && resources.pids !== undefined && resources.pids.limit < 0 ? { ...resources, pids: { limit: PID_MAX_LIMIT } } : resources;
        await writeFile(file, JSON.stringify(fixed));
        await checked(id, 'update', ['update', '--resources', file, id]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async delete(id, { force = false } = {}) {
      // Deleted already (a `run` deletes its container when it ends): no runtime process to spawn.
      if (!existsSync(join(options.stateDir, id))) {
        // unlink, not rm: rm loads Node's rimraf, a few ms on the run path.
        unlinkIfExists(logFile(id));
        unlinkIfExists(monitorLogFile(id));
        throw errors.notFound('RUNTIME_CONTAINER_NOT_FOUND', `${name}: container "${id}" does not exist`);
      }
      await checked(id, 'delete', ['delete', ...(force ? ['--force'] : []), id]);
      unlinkIfExists(logFile(id));
      unlinkIfExists(monitorLogFile(id));
    },
    async pause(id) {
      await checked(id, 'pause', ['pause', id]);
    },
    async resume(id) {
      await checked(id, 'resume', ['resume', id]);
    },
  };
}

/** The message of the last error-level line of a runtime JSON log. */
async function lastLogError(path: string): Promise<string | undefined> {
  const text = await ignoreErrno(['ENOENT'], () => readFile(path, 'utf8'), '');
  let message: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) message = entry.msg;
    } catch {
      message = line.trim();
    }
  }
  return message;
}

/** Turns a runtime's error text into a BerthError of the right kind (both crun's and runc's wording). */
export function runtimeError(runtime: string, id: string, verb: string, message: string): BerthError {
  const clean = message.replace(/^runc (run|create|start) failed: /, '');
  if (/executable file (.* )?not found|no such file or directory/i.test(clean) && /exec|executable/i.test(clean)) {
    return errors.notFound('COMMAND_NOT_FOUND', `Cannot start container: ${clean}`);
  }
  if (/permission denied/i.test(clean) && /exec|executable/i.test(clean)) {
    return errors.permissionDenied('COMMAND_NOT_EXECUTABLE', `Cannot start container: ${clean}`);
  }
  // crun names its missing state (`error opening file `<root>/<id>/status``, `cannot open directory`
  // or `cannot rm state directory` when it went while crun looked, e.g. deleted by the `crun run`
  // that supervised it), runc says "does not exist".
  if (/does not exist|not found|no such container|(opening file|open directory|rm state directory) .*: no such file/i.test(clean) && verb !== 'run' && verb !== 'create') {
    return errors.notFound('RUNTIME_CONTAINER_NOT_FOUND', `Container "${id}" not found by ${runtime}: ${clean}`);
  }
  return errors.unknown('RUNTIME_FAILED', `${runtime} ${verb} failed: ${clean}`);
}
