/**
 * Containers under their monitors: start (detached or attached), attach, stop, wait, the clean-up
 * a monitor runs after its container exited (restart policy included), and reconciling a record
 * whose monitor died. Every container runs under berth-monitor, foreground ones too, so none
 * depends on the berth process that started it (docs/ARCHITECTURE.md, "Monitors").
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { constants as osConstants } from 'node:os';

import { errors, isBerthError, isNotFound, killProcess, processAlive, processStartTime, selfProcess, trace, unlinkIfExists, waitUntilGone, warmCgroupMigration } from '../base/index.js';
import type { ContainerRecord, RestartPolicy } from '../core/containers/index.js';
import { parseBytes } from '../core/spec/index.js';
import type { Spec } from '../oci/index.js';
import { assertTransition, isSupervisedStatus, supervisorAlive } from '../core/containers/index.js';
import type { AttachResult, AttachStreams, StartOptions } from '../api/index.js';
import { detachKeyFilter, exitCodeFor } from '../api/index.js';
import { beginDisconnect, containerDir, prepareBundle, recordExit, removeContainer, stopInRuntime, tearDown } from './container-lifecycle.js';
import { recordContainerEvent } from './events.js';
import type { EngineContext } from './engine-context.js';
import { writeExecTemplate } from './exec-template.js';
import { logAttrs } from './log-attrs.js';
import { removeAnonymousVolumes } from './volume-mounts.js';
import { healthLaunch, healthOnStart } from './container-health.js';

const optionalHealth = (health: MonitorLaunch['health']) => (health ? { health } : {});
import type { MonitorEvent, MonitorLaunch, MonitorSession } from './monitor-session.js';
import { connectMonitor, frameKind, spawnMonitor } from './monitor-session.js';

export const isActive = (record: ContainerRecord) => record.state.status === 'running' || record.state.status === 'paused';

/** The container's log file as Docker names it: `<id>-json.log` (json-file), `local-logs/container.log` (local). */
export const logPath = (ctx: EngineContext, record: Pick<ContainerRecord, 'id' | 'hostConfig'>) =>
  record.hostConfig.logConfig?.type === 'local'
    ? join(containerDir(ctx, record.id), 'local-logs', 'container.log')
    : join(containerDir(ctx, record.id), `${record.id}-json.log`);

/** Docker's defaults per driver: `local` rotates (20 MB × 5, compressed); json-file keeps one growing file. */
export function logSettings(config: Record<string, string>, driver: string): { maxSize: number; maxFile: number; compress: boolean } {
  const local = driver === 'local';
  return {
    maxSize: config['max-size'] !== undefined ? parseBytes(config['max-size']) : local ? 20 * 1024 * 1024 : 0,
    maxFile: config['max-file'] !== undefined ? Number(config['max-file']) : local ? 5 : 1,
    compress: config['compress'] !== undefined ? config['compress'] === 'true' : local,
  };
}

const exitFile = (ctx: EngineContext, id: string) => join(containerDir(ctx, id), 'exit');

/**
 * Starts a container under a new monitor. Detached, it returns once the container runs. Attached,
 * it relays the streams, and when the container exits it cleans up itself (faster than the
 * monitor's exit command, which does it if this process dies first).
 */
export async function startContainer(ctx: EngineContext, record: ContainerRecord, options: StartOptions = {}): Promise<AttachResult | undefined> {
  assertTransition(record, 'running');
  const selection = ctx.runtime(record.hostConfig.runtime || undefined);
  const driver = selection.driver;
  // Stopped before it started, as asked (Ctrl-C early): exit as if killed by that signal.
  const abortedExit = () => ({ exitCode: 128 + (signalNumber(options.signal?.reason) ?? 9) });
  if (options.signal?.aborted) {
    if (!options.attach) throw errors.aborted('RUN_ABORTED', `Container "${record.name}" was not started: the run was aborted`);
    if (record.hostConfig.autoRemove) {
      await removeContainer(ctx, record);
      removeAnonymousVolumes(ctx, record);
    }
    return abortedExit();
  }
  // Until its monitor runs, the container's mount, cgroup and network are this process's to undo:
  // the record names it, so that if it dies meanwhile the next command (reconcile) undoes them.
  ctx.metadata.updateContainer(record.id, (r) => void (r.state.starting = selfProcess()));
  let bundle: string;
  let networkReady: Promise<Error | undefined> | undefined;
  const undoStart = async () => {
    // Nothing of a start that failed before its monitor ran stays: no mount, no network; a --rm container goes.
    await tearDown(ctx, record, 0);
    ctx.metadata.updateContainer(record.id, (r) => void delete r.state.starting);
    if (record.hostConfig.autoRemove) {
      await removeContainer(ctx, record);
      removeAnonymousVolumes(ctx, record);
    }
  };
  // The runtime's first cgroup.procs write waits for an RCU grace period (base/cgroup-warmup.ts):
  // started here, ~10-15 ms before the runtime gets there, and renewed right before the monitor's
  // spawn (a write within a grace period of the last is quick and keeps the lock warm for another).
  warmCgroupMigration();
  try {
    let spec: Spec;
    ({ bundle, spec, networkReady } = await prepareBundle(ctx, record));
    writeExecTemplate(bundle, driver, spec);
  } catch (err) {
    await undoStart();
    throw err;
  }
  const dir = containerDir(ctx, record.id);
  unlinkIfExists(exitFile(ctx, record.id));
  mkdirSync(dirname(logPath(ctx, record)), { recursive: true });
  const log = record.hostConfig.logConfig ?? { type: 'json-file', config: {} };
  const attach = options.attach;
  const tty = record.config.Tty === true;
  // One `<runtime> run` for an attached start, unless asked otherwise, or unless the runtime's
  // compiled seccomp filter is to be kept: that needs the container created before it starts.
  const seccompFilters = driver.seccompFilters;
  // `<runtime> run` starts the process at once: not while the network's setup still runs.
  const runMode = attach !== undefined && options.createThenStart !== true && networkReady === undefined && seccompFilters?.wantsFilter(record.id) !== true;

  // Events queue up: two can come in one read (`started` and `exited` of a container that ends at once).
  const events: (MonitorEvent | undefined)[] = [];
  let wake: (() => void) | undefined;
  const push = (event: MonitorEvent | undefined) => {
    events.push(event);
    wake?.();
  };
  let spawned: ReturnType<typeof spawnMonitor>;
  warmCgroupMigration();
  try {
    spawned = spawnMonitor({
    binary: ctx.monitor.binary,
    id: record.id,
    bundle,
    runtime: driver.invocation(record.id),
    dir,
    log: { driver: log.type, path: logPath(ctx, record), ...logSettings(log.config, log.type), ...(log.type === 'json-file' ? { attrs: logAttrs(record) } : {}) },
    terminal: tty,
    run: runMode,
    // `<runtime> run --detach` starts the process at once too: not while the network's setup still runs.
    runDetached: !runMode && networkReady === undefined,
    stdin: record.config.OpenStdin === true,
    stdinOnce: record.config.StdinOnce === true,
    exitCommand: [...ctx.monitor.berth, 'container', 'cleanup', record.id],
    ...optionalHealth(healthLaunch(ctx, record)),
  }, {
    stdout: (chunk) => attach?.stdout?.write(chunk),
    stderr: (chunk) => attach?.stderr?.write(chunk),
    event: (event) => push(event),
    close: () => push(undefined),
  }, { stdout: attach?.stdout !== undefined, stderr: attach?.stderr !== undefined, stdin: attach?.stdin !== undefined, cleanup: attach !== undefined }, ctx.monitor.spawn);
  } catch (err) {
    await undoStart();
    throw err;
  }
  const { session, exited } = spawned;
  trace('start: monitor spawned');

  /** The next event; `undefined` once the monitor hung up (and for every call after that). */
  const next = async (): Promise<MonitorEvent | undefined> => {
    while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    const event = events[0];
    if (event !== undefined) events.shift();
    return event;
  };
  // Not while the network's setup runs: the monitor's clean-up would race it.
  const abortStart = () => void (networkReady ?? Promise.resolve()).then(() => session.destroy());
  // Done: the monitor exits at once. Its process is reaped before this one can end (a monitor
  // not spawned by child_process is this process's to reap; one left over would be a zombie).
  const hangUp = async () => {
    session.send(frameKind.done);
    session.end();
    await exited();
    trace('start: monitor reaped');
  };
  // The monitor kills the container when its owner hangs up before `start`; its exit command cleans up.
  const whenAborted = async () => {
    await exited();
    return abortedExit();
  };
  options.signal?.addEventListener('abort', abortStart, { once: true });
  // Aborted while the bundle was prepared (a Ctrl-C during the network's set-up): the event went
  // by before the listener was there.
  if (options.signal?.aborted) abortStart();
  let created: MonitorEvent | undefined;
  try {
    created = await next();
    if (created === undefined && options.signal?.aborted && options.attach) {
      options.signal.removeEventListener('abort', abortStart);
      return await whenAborted();
    }
    if (created?.event !== 'created') {
      const error = await driver.failure(record.id, 'create', created === undefined ? 'the monitor exited' : `the runtime exited with ${'status' in created ? created.status : '?'}`);
      await finish(ctx, record, { exitCode: exitCodeFor(error), error });
      throw error;
    }
    trace('start: created');
    // The network was set up while the runtime created the container; it starts only once it is.
    const networkError = await networkReady;
    if (networkError) throw networkError;
    if (networkReady) trace('start: network ready');
    seccompFilters?.learn(record.id);
    // The monitor is the container's supervisor from now on; its pid outlives us.
    const monitor = { pid: created.monitor, startTime: processStartTime(created.monitor) ?? 0 };
    const pid = created.pid;
    const started = ctx.metadata.updateContainer(record.id, (r) => {
      assertTransition(r, 'running');
      r.state = {
        ...r.state, status: 'running', pid, startedAt: new Date().toISOString(), error: '', exitCode: 0,
        supervisor: monitor, runtime: { pid, startTime: processStartTime(pid) ?? 0 },
      };
      delete r.state.manuallyStopped;
      delete r.state.starting;
      const health = healthOnStart(r);
      if (health) r.state.health = health;
      r.hostConfig.runtime = driver.name;
    });
    recordContainerEvent(ctx, started, 'start');
  } catch (err) {
    // Recording failed after the create: the monitor kills the container when we hang up before
    // `start`, and its exit command cleans up.
    options.signal?.removeEventListener('abort', abortStart);
    session.destroy();
    throw err;
  }
  let pendingStdin: (() => void) | undefined;
  if (attach?.stdin) pendingStdin = pipeStdin(attach.stdin, session, attach.detachKeys, () => detach());
  let detached = false;
  const detach = () => {
    detached = true;
    session.destroy();
  };
  session.send(frameKind.start);
  const started = await next();
  options.signal?.removeEventListener('abort', abortStart);
  if (started?.event === 'start-failed') {
    const error = await driver.failure(record.id, 'start', `the runtime exited with ${started.status}`);
    // The monitor killed the container; wait for its exit, then clean up as for any exit.
    await next();
    await finish(ctx, record, { exitCode: exitCodeFor(error), error });
    await hangUp();
    throw error;
  }
  if (started === undefined) {
    if (options.signal?.aborted && options.attach) return whenAborted();
    throw errors.unavailable('MONITOR_DIED', `The monitor of container "${record.name}" exited before the container started`);
  }
  trace('start: started');
  options.onStarted?.();
  if (!attach) {
    session.end();
    session.unref();
    return undefined;
  }
  // A client gone meanwhile detaches only now: its hangup before the start would stop the container.
  if (attach.detach?.aborted) detach();
  else attach.detach?.addEventListener('abort', detach, { once: true });
  // Attached: relay until the container exits or the client detaches.
  const ended = await next();
  trace('start: exited');
  attach.detach?.removeEventListener('abort', detach);
  pendingStdin?.();
  if (detached || ended?.event !== 'exited') return { detached: true };
  // Under `run` the runtime's status is the container's, unless the runtime logged why it failed.
  const runFailure = ended.exitCode !== 0 && runMode ? await driver.loggedError(record.id, 'run') : undefined;
  if (runFailure) {
    await finish(ctx, record, { exitCode: exitCodeFor(runFailure), error: runFailure });
    await hangUp();
    throw runFailure;
  }
  // A restart is the monitor's to do (its exit command waits out the back-off): hand over, as
  // `docker run --restart` returns when the container first exits.
  if (wouldRestart(ctx, record.id, ended.exitCode)) {
    session.end();
    return { exitCode: ended.exitCode };
  }
  await finish(ctx, record, { exitCode: ended.exitCode });
  await hangUp();
  return { exitCode: ended.exitCode };
}

/** Attaches to a running container's monitor until the container exits or the client detaches. */
export async function attachContainer(ctx: EngineContext, record: ContainerRecord, streams: AttachStreams): Promise<AttachResult> {
  if (!isActive(record) || !supervisorAlive(record)) {
    throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', 'You cannot attach to a stopped container, start it first');
  }
  if (record.state.status === 'paused') {
    throw errors.failedPrecondition('CONTAINER_PAUSED', 'You cannot attach to a paused container, unpause it first');
  }
  let resolveEnd: (r: AttachResult) => void = () => undefined;
  const end = new Promise<AttachResult>((resolve) => (resolveEnd = resolve));
  let exitCode: number | undefined;
  const session: MonitorSession = await connectMonitor(containerDir(ctx, record.id), record.name, {
    stdout: (chunk) => streams.stdout?.write(chunk),
    stderr: (chunk) => streams.stderr?.write(chunk),
    event: (event) => void (event.event === 'exited' && (exitCode = event.exitCode)),
    close: () => resolveEnd(exitCode === undefined ? { detached: true } : { exitCode }),
  });
  session.hello({ stdout: streams.stdout !== undefined, stderr: streams.stderr !== undefined, stdin: streams.stdin !== undefined });
  let detached = false;
  const detach = () => {
    detached = true;
    session.destroy();
  };
  const stopStdin = streams.stdin ? pipeStdin(streams.stdin, session, streams.detachKeys, detach) : undefined;
  if (streams.detach?.aborted) detach();
  else streams.detach?.addEventListener('abort', detach, { once: true });
  const result = await end;
  streams.detach?.removeEventListener('abort', detach);
  stopStdin?.();
  if (detached) return { detached: true };
  // The monitor's exit command records the exit: wait for it, so that the next command sees it.
  await waitForExit(ctx, record.id, { timeoutMs: 30_000 });
  if (exitCode === undefined) {
    // The monitor hung up without an exit event: read what it recorded.
    const exit = readExitFile(ctx, record.id);
    if (exit) return { exitCode: exit.exitCode };
  }
  return result;
}

/** Sends a resize frame to the container's monitor. */
export async function resizeContainer(ctx: EngineContext, record: ContainerRecord, rows: number, cols: number): Promise<void> {
  const session = await connectMonitor(containerDir(ctx, record.id), record.name, {});
  session.resize(rows, cols);
  session.end();
}

/**
 * Forwards a client's stdin to the monitor, watching for the detach keys; its end closes the
 * container's stdin. Returns a function that stops forwarding.
 */
function pipeStdin(stdin: NodeJS.ReadableStream, session: MonitorSession, detachKeys: Buffer | undefined, onDetach: () => void): () => void {
  const filter = detachKeyFilter(detachKeys);
  const onData = (chunk: Buffer) => {
    const { forward, detached } = filter(chunk);
    if (forward) session.stdin(forward);
    if (detached) onDetach();
  };
  const onEnd = () => session.send(frameKind.closeStdin);
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    (stdin as NodeJS.ReadStream).pause?.();
  };
}

/**
 * After the container's process exited: delete it in the runtime, tear it down, then record the
 * exit, remove an `--rm` container, or restart it as its policy says.
 */
async function finish(ctx: EngineContext, record: ContainerRecord, exit: { exitCode: number; error?: unknown }): Promise<'recorded' | 'removed' | 'restart'> {
  const driver = ctx.runtime(record.hostConfig.runtime || undefined).driver;
  // The network goes while the runtime deletes the container (its namespace is berth's, not the runtime's).
  const network = beginDisconnect(ctx, record.id);
  try {
    await driver.delete(record.id, { force: true });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const { oomKilled, problems } = await tearDown(ctx, record, exit.exitCode, { network });
  recordContainerEvent(ctx, record, 'die', { exitCode: String(exit.exitCode) });
  let current: ContainerRecord;
  try {
    current = ctx.metadata.findContainer(record.id);
  } catch (err) {
    if (isNotFound(err)) return 'removed';
    throw err;
  }
  // `rm -f` is removing it: the remover finishes the job.
  if (current.state.status === 'removing') return 'removed';
  const problem = exit.error ?? problems[0];
  const error = problem instanceof Error ? problem.message : '';
  if (problem === undefined && shouldRestart(current, exit.exitCode)) return 'restart';
  if (current.hostConfig.autoRemove && problems.length === 0) {
    await removeContainer(ctx, current, { announce: false, tornDown: true });
    removeAnonymousVolumes(ctx, current);
    return 'removed';
  }
  recordExit(ctx, record.id, { exitCode: exit.exitCode, oomKilled, error });
  return 'recorded';
}

function wouldRestart(ctx: EngineContext, id: string, exitCode: number): boolean {
  try {
    return shouldRestart(ctx.metadata.findContainer(id), exitCode);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

function shouldRestart(record: ContainerRecord, exitCode: number): boolean {
  const policy: RestartPolicy = record.hostConfig.restartPolicy ?? { name: 'no', maximumRetryCount: 0 };
  if (record.state.manuallyStopped) return false;
  switch (policy.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (policy.maximumRetryCount === 0 || (record.state.restartCount ?? 0) < policy.maximumRetryCount);
    default:
      return false;
  }
}

/**
 * Docker's restart back-off: 100 ms, doubled for each restart in a row, at most a minute; a
 * container that ran for 10 s or more starts again from 100 ms.
 */
export function restartDelay(previousDelayMs: number, ranMs: number): number {
  if (ranMs >= 10_000 || previousDelayMs <= 0) return 100;
  return Math.min(previousDelayMs * 2, 60_000);
}

/** What `berth container cleanup ID` does: run by the monitor's exit command, as the monitor's process. */
export async function cleanupAfterExit(ctx: EngineContext, id: string): Promise<void> {
  let record: ContainerRecord;
  try {
    record = ctx.metadata.findContainer(id);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  const exit = readExitFile(ctx, id);
  const exitCode = exit?.exitCode ?? 255;
  const outcome = await finish(ctx, record, exit ? { exitCode } : { exitCode, error: new Error('the monitor exited without recording an exit code') });
  if (outcome !== 'restart') return;
  const ranMs = Date.now() - Date.parse(record.state.startedAt);
  const delay = restartDelay(record.state.restartDelayMs ?? 0, ranMs);
  ctx.metadata.updateContainer(id, (r) => {
    r.state = {
      ...r.state, status: 'restarting', pid: 0, exitCode, finishedAt: exit?.finishedAt ?? new Date().toISOString(),
      restartCount: (r.state.restartCount ?? 0) + 1, restartDelayMs: delay, supervisor: selfProcess(),
    };
    delete r.state.runtime;
  });
  await new Promise((r) => setTimeout(r, delay));
  // Stopped or removed while we waited: nothing to do.
  const current = ctx.metadata.findContainer(id);
  if (current.state.status !== 'restarting') return;
  try {
    await startContainer(ctx, current);
  } catch (err) {
    recordExit(ctx, id, { exitCode: exitCodeFor(err), oomKilled: false, error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

function readExitFile(ctx: EngineContext, id: string): { exitCode: number; finishedAt: string } | undefined {
  try {
    return JSON.parse(readFileSync(exitFile(ctx, id), 'utf8')) as { exitCode: number; finishedAt: string };
  } catch {
    return undefined;
  }
}

/**
 * A record that says running (or restarting) whose monitor is gone: the monitor was killed, or
 * the machine rebooted. Kills what is left of the container, tears it down and records the exit
 * (the exit file's code when the monitor wrote one). Returns the record as it is now.
 */
export async function reconcile(ctx: EngineContext, record: ContainerRecord): Promise<ContainerRecord> {
  const starter = record.state.starting;
  if (starter !== undefined && !processAlive(starter) && !supervisorAlive(record)) {
    // A start whose process died before its monitor took over: undo what it had set up.
    await tearDown(ctx, record, 0);
    try {
      return ctx.metadata.updateContainer(record.id, (r) => void delete r.state.starting);
    } catch (err) {
      if (isNotFound(err)) return record;
      throw err;
    }
  }
  const committer = record.state.committing;
  if (committer !== undefined && !processAlive(committer)) {
    // A `commit --pause` that died while the container was frozen: thaw it, unless a user paused it since.
    if (record.state.status === 'running' && supervisorAlive(record)) {
      await ctx.runtime(record.hostConfig.runtime || undefined).driver.resume(record.id)
        .catch((err: unknown) => ctx.warn(`could not thaw container ${record.name} after an interrupted commit: ${(err as Error).message}`));
    }
    try {
      record = ctx.metadata.updateContainer(record.id, (r) => void delete r.state.committing);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const remover = record.state.removing;
  if (record.state.status === 'removing' && remover !== undefined && !processAlive(remover)) {
    // An `rm -f` that died after killing the container: let its monitor's clean-up finish, then
    // undo what is left (network, mount, cgroup) and leave it `dead`, as Docker does with a
    // removal that failed; `rm -f` removes it.
    const monitor = record.state.supervisor;
    if (monitor !== undefined && processAlive(monitor)) {
      // The rm may have died before its kill: finish it (the removal was asked for), thawing a
      // frozen container first, then let its monitor clean up.
      const frozen = ctx.cgroups.frozen(record.id);
      await stopInRuntime(ctx, frozen ? { ...record, state: { ...record.state, status: 'paused' } } : record, true);
      await waitUntilGone(monitor);
    }
    try {
      const current = ctx.metadata.findContainer(record.id);
      if (current.state.status !== 'removing') return current;
      await tearDown(ctx, current, current.state.exitCode);
      return ctx.metadata.updateContainer(record.id, (r) => {
        r.state.status = 'dead';
        r.state.pid = 0;
        delete r.state.removing;
      });
    } catch (err) {
      if (isNotFound(err)) return { ...record, state: { ...record.state, status: 'dead' } };
      throw err;
    }
  }
  const live = isSupervisedStatus(record.state.status);
  if (!live || supervisorAlive(record)) return record;
  const runtime = record.state.runtime;
  if (runtime !== undefined && processAlive(runtime)) {
    killProcess(runtime.pid);
    await waitUntilGone(runtime);
  }
  const exit = readExitFile(ctx, record.id);
  try {
    await finish(ctx, { ...record, hostConfig: { ...record.hostConfig, autoRemove: false }, state: { ...record.state, manuallyStopped: true } },
      exit ? { exitCode: exit.exitCode } : { exitCode: 137, error: new Error('the container\'s monitor died') });
  } catch (err) {
    if (!isBerthError(err)) throw err;
  }
  try {
    return ctx.metadata.findContainer(record.id);
  } catch (err) {
    if (isNotFound(err)) return { ...record, state: { ...record.state, status: 'exited' } };
    throw err;
  }
}

/** Polls until the container is neither running nor restarting (nor gone); returns its record then. */
export async function waitForExit(ctx: EngineContext, id: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ContainerRecord | undefined> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    let record: ContainerRecord;
    try {
      record = await reconcile(ctx, ctx.metadata.findContainer(id));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const settled = !['running', 'paused', 'restarting', 'removing'].includes(record.state.status) && record.state.supervisor === undefined;
    if (settled) return record;
    if (Date.now() >= deadline) return record;
    if (options.signal?.aborted) throw errors.aborted('WAIT_ABORTED', `Stopped waiting for container "${record.name}"`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The number of a signal named like `SIGINT`, if it is one (an abort's reason). */
function signalNumber(name: unknown): number | undefined {
  return typeof name === 'string' ? (osConstants.signals as Record<string, number | undefined>)[name] : undefined;
}
