import type { Readable, Writable } from 'node:stream';

import type { LinuxResources, Spec } from '../../oci/index.js';

/** Standard streams handed to a container's process: inherited file descriptors or `ignore`. */
export type Stdio = [number | 'ignore', number | 'ignore', number | 'ignore'];

/** A process in a container whose stdio are streams (RuntimeDriver.execStreams). */
export interface StreamedProcess {
  /** The process's pid as the host sees it; 0 until the runtime has written it. */
  pid(): number;
  /** Its stdin, when asked for: ending it closes the process's stdin (on a terminal: an end-of-file character). */
  stdin?: Writable;
  /** Its stdout; on a terminal, everything the terminal shows (the runtime's own errors too). */
  stdout: Readable;
  /** Its stderr (the runtime's own errors too); absent on a terminal. */
  stderr?: Readable;
  /** Sets its terminal's size (nothing without a terminal). */
  resize(rows: number, cols: number): void;
  /**
   * With a terminal: lets the process run on without this process (a client that detached): its
   * terminal goes to a holder of its own that reads it to its end, output discarded, and nothing
   * more is copied here; `exit` then never settles. Absent without a terminal.
   */
  release?(): void;
  /**
   * Its exit code, once it exited and what it wrote has been read (or, when other processes
   * keep its output open, a moment after the exit); rejects with the runtime's error when the
   * command could not be started.
   */
  exit: Promise<number>;
}

export interface RunResult {
  /** The container process's exit code; 128 + n when killed by signal n, as shells report it. */
  exitCode: number;
}

export interface ProbeResult {
  exitCode: number;
  output: string;
  timedOut: boolean;
  error?: string;
}

export interface RuntimeState {
  id: string;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
  bundle: string;
}

/**
 * RuntimeDriver: an OCI runtime (crun, runc) behind the OCI runtime CLI verbs.
 *
 * A container is a bundle directory holding `config.json`; `id` names it to the runtime.
 * `run` is create + start + wait + delete in one call, for foreground containers whose caller
 * stays to the end. `create` / `start` / `state` / `kill` / `delete` drive containers whose
 * lifetime is watched by a monitor.
 *
 * Errors: a runtime failure becomes a BerthError built from the runtime's JSON log:
 * `NotFound` BERTH_E_COMMAND_NOT_FOUND (exit 127 in the CLI) when the command does not exist,
 * `PermissionDenied` BERTH_E_COMMAND_NOT_EXECUTABLE (126) when it cannot be executed,
 * `NotFound` BERTH_E_RUNTIME_CONTAINER_NOT_FOUND for an unknown id, `Unknown`
 * BERTH_E_RUNTIME_FAILED otherwise, always with the runtime's own message.
 */
export interface RuntimeDriver {
  readonly name: string;
  /**
   * The command line that drives this runtime's containers (binary and global options such as
   * `--root`), for a process that outlives berth: the build's step watchdog runs
   * `<commandLine> delete --force <id>` when berth dies.
   */
  readonly commandLine: readonly string[];
  /** Where the runtime keeps one directory per container id. */
  readonly stateDir: string;
  /** Where the runtime's JSON logs go (one per container, monitor and exec). */
  readonly logDir: string;
  /**
   * The command line (binary and global options, its JSON log included) with which a monitor
   * process drives container `id`: berth-monitor runs `<invocation> create ...` and `start`.
   */
  invocation(id: string): string[];
  /** The error the runtime logged for `verb` on container `id` (after a monitor's create or start failed). */
  failure(id: string, verb: string, fallback: string): Promise<Error>;
  /** The error the runtime logged for container `id`, if any (a `run` whose status may be the container's own). */
  loggedError(id: string, verb: string): Promise<Error | undefined>;
  /**
   * Runs a process in a running container (`<runtime> exec --process FILE`). In the foreground it
   * returns the process's exit code; `detach` returns once it has started.
   */
  exec(id: string, processFile: string, options: { stdio: Stdio; detach?: boolean; tty?: boolean }): Promise<number>;
  /**
   * Runs a process in a running container with its stdio as streams the caller relays (the
   * daemon's exec): pipes, or with `tty` a pseudo-terminal whose master the runtime hands over
   * (`--console-socket`). Resolves once the process runs (with a terminal: once its master is
   * here, sized `size` when given); the runtime's failure to start it rejects, or rejects `exit`.
   */
  execStreams(id: string, processFile: string, options: { tty: boolean; stdin: boolean; size?: { rows: number; cols: number } }): Promise<StreamedProcess>;
  /**
   * What an exec that ended with `code` and wrote its runtime log to `logFile` amounts to: the
   * command's own exit code, or the runtime's error when the exec itself failed (thrown). The
   * native `berth exec` fast path runs the runtime itself and asks this when it fails.
   */
  execOutcome(id: string, logFile: string, code: number): Promise<number>;
  /**
   * Runs a health probe in a running container (`<runtime> exec --process FILE`, no stdin): its
   * stdout and stderr together, up to `outputLimit` bytes; after `timeoutMs` the probe process is
   * killed (SIGKILL) and `timedOut` is set. `error` is the runtime's own error when the exec
   * itself failed (the command could not be started).
   */
  probe(id: string, processFile: string, options: { pidFile: string; timeoutMs: number; outputLimit: number }): Promise<ProbeResult>;
  run(id: string, bundle: string, options: { stdio: Stdio; signal?: AbortSignal; onSpawn?: (pid: number) => void }): Promise<RunResult>;
  create(id: string, bundle: string, options: { stdio: Stdio; pidFile: string }): Promise<void>;
  start(id: string): Promise<void>;
  state(id: string): Promise<RuntimeState>;
  kill(id: string, signal: string, options?: { all?: boolean }): Promise<void>;
  delete(id: string, options?: { force?: boolean }): Promise<void>;
  /** Freezes every process of the container (the cgroup freezer, v1 and v2); `commit` reads its changes meanwhile. */
  pause(id: string): Promise<void>;
  /** Thaws what `pause` froze. */
  resume(id: string): Promise<void>;
  /** Changes the resource limits of a running container (`update --resources`, OCI LinuxResources). */
  update(id: string, resources: LinuxResources): Promise<void>;
  /** Compiled seccomp filters handed to the runtime with the spec, when it takes them (crun). */
  readonly seccompFilters?: SeccompFilters;
}

/**
 * Seccomp filters the runtime compiled before, kept so that it need not compile the same profile
 * again for every container (plugins/runtime-oci/seccomp-filters.ts).
 */
export interface SeccompFilters {
  /**
   * Adds the compiled filter of `spec`'s profile to the spec (an annotation) when one is kept.
   * Returns false when the spec has a profile whose filter is not kept: with `learn`, container
   * `id` is then remembered, so that `learn(id)` keeps the runtime's filter once it created it.
   */
  annotate(id: string, spec: Spec, options?: { learn?: boolean }): boolean;
  /** Whether `annotate` found no filter for container `id` and `learn(id)` should keep the runtime's. */
  wantsFilter(id: string): boolean;
  /** Keeps the filter the runtime compiled for container `id` (created, not yet deleted), if it was wanted. */
  learn(id: string): void;
}
