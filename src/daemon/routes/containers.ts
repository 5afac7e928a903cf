/**
 * The container endpoints of the run path: create, list, inspect, start, stop, restart, kill,
 * wait, remove, resize, attach and logs — and the exec endpoints (routes/exec.ts shares their
 * state). What a `docker run` sends, in order: create → attach (hijacked, before start) → wait
 * (headers flushed at once) → start → resize; see /work/shared/reference/engine-api.md §3.5.
 */
import { beginOperation, errors, isBerthError, isNotFound } from '../../base/index.js';
import { parseReference } from '../../oci/index.js';
import type { ContainerRecord, Engine } from '../../api/index.js';
import { containerInspectView, containerMountsView, containerSummaryView } from '../../api/index.js';
import type { ApiCall, DaemonInfo, QueryReader } from '../api-call.js';
import type { Router } from '../router.js';
import { AttachSession, runState } from '../container-runs.js';
import { createOptionsFromBody } from '../create-body.js';
import { defaultDetachKeys, normalizeSignal, nowhere, parseDetachKeys, type Sink, streamWriter } from '../stream-frames.js';
import { addExecRoutes } from './exec.js';

export function addContainerRoutes(router: Router): void {
  router.add('POST', '/containers/create', create);
  router.add('GET', '/containers/json', list);
  router.add('GET', '/containers/{id}/json', inspect);
  router.add('POST', '/containers/{id}/start', start);
  router.add('POST', '/containers/{id}/stop', stop);
  router.add('POST', '/containers/{id}/restart', restart);
  router.add('POST', '/containers/{id}/kill', kill);
  router.add('POST', '/containers/{id}/wait', wait);
  router.add('DELETE', '/containers/{id}', remove);
  router.add('POST', '/containers/{id}/resize', resize);
  router.add('POST', '/containers/{id}/attach', attach, { hijack: true });
  router.add('GET', '/containers/{id}/logs', logs);
  addExecRoutes(router);
}

const isRunning = (c: ContainerRecord) => c.state.status === 'running' || c.state.status === 'paused';

async function find(call: ApiCall): Promise<ContainerRecord> {
  return call.engine.containers.inspect(call.params.id!);
}

async function create(call: ApiCall): Promise<void> {
  const body = await call.json<unknown>({});
  const name = call.string('name') ?? undefined;
  const options = createOptionsFromBody(body, name);
  // A missing image is dockerd's 404 `No such image`: the docker CLI then pulls it and tries again.
  try {
    await call.engine.images.resolve(options.image);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw errors.notFound('NO_SUCH_IMAGE', `No such image: ${withTag(options.image)}`);
  }
  let record: ContainerRecord;
  const op = beginOperation({ signal: call.signal });
  try {
    record = await call.engine.containers.create(options, op);
  } catch (err) {
    if (isBerthError(err) && err.code === 'BERTH_E_NO_COMMAND') throw errors.invalidArgument('NO_COMMAND', 'No command specified');
    throw err;
  } finally {
    op.end();
  }
  // What the host could not apply (dropped limits) and the network's notes: the CLI prints each as a WARNING.
  call.send(201, { Id: record.id, Warnings: [...op.warnings] });
}

/** `busybox` → `busybox:latest`, as dockerd names a reference it did not find. */
function withTag(image: string): string {
  try {
    const ref = parseReference(image);
    return ref.tag === undefined && ref.digest === undefined ? `${image}:latest` : image;
  } catch {
    return image;
  }
}

async function list(call: ApiCall): Promise<void> {
  call.send(200, await containerList(call.engine, call.daemon, call));
}

/** GET /containers/json's answer, as dockerd lists: also what the fast lane answers `docker ps` with (fast-lane.ts). */
export async function containerList(engine: Engine, daemon: DaemonInfo, query: QueryReader): Promise<Record<string, unknown>[]> {
  return containerListViews(engine, daemon, await listedContainers(engine, query), query.bool('size'));
}

/** The list's entries for `records`, with their sizes when asked (`size`). */
export async function containerListViews(engine: Engine, daemon: DaemonInfo, records: readonly ContainerRecord[], size: boolean): Promise<Record<string, unknown>[]> {
  const now = Date.now();
  return Promise.all(records.map(async (c) => {
    const view: Record<string, unknown> = containerSummaryView(c, { storeRoot: daemon.root, now });
    if (size) {
      const sizes = await engine.containers.sizes(c.id).catch(() => ({ sizeRw: 0, sizeRootFs: 0 }));
      view.SizeRw = sizes.sizeRw;
      view.SizeRootFs = sizes.sizeRootFs;
    }
    return view;
  }));
}

/** The containers GET /containers/json lists, in its order (newest first), its filters and limit applied. */
export async function listedContainers(engine: Engine, query: QueryReader): Promise<ContainerRecord[]> {
  const limit = query.int('limit') ?? -1;
  const filters = query.filters();
  // API < 1.x parameters that dockerd still reads: `before` and `since` as filters.
  for (const key of ['before', 'since'] as const) {
    const v = query.string(key);
    if (v !== undefined) filters.push(`${key}=${v}`);
  }
  const all = query.bool('all') || limit > 0;
  let records = await engine.containers.list({ all, filters });
  // Newest first, as dockerd lists them.
  records = [...records].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  return limit > 0 ? records.slice(0, limit) : records;
}

/** dockerd's inspect body: berth's view plus what only the daemon knows (its paths, its execs). */
async function inspectBody(call: ApiCall, c: ContainerRecord, size: boolean): Promise<Record<string, unknown>> {
  const view: Record<string, unknown> = containerInspectView(c);
  const dir = `${call.daemon.root}/containers/${c.id}`;
  const execs = runState(call.engine).execs.ofContainer(c.id);
  Object.assign(view, {
    ResolvConfPath: `${dir}/resolv.conf`,
    HostnamePath: `${dir}/hostname`,
    HostsPath: `${dir}/hosts`,
    LogPath: c.hostConfig.logConfig?.type === 'local' ? `${dir}/local-logs/container.log` : c.hostConfig.logConfig?.type === 'none' ? '' : `${dir}/${c.id}-json.log`,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execs.length > 0 ? execs : null,
    Mounts: containerMountsView(c, call.daemon.root),
  });
  if (size) {
    const sizes = await call.engine.containers.sizes(c.id).catch(() => ({ sizeRw: 0, sizeRootFs: 0 }));
    view.SizeRw = sizes.sizeRw;
    view.SizeRootFs = sizes.sizeRootFs;
  }
  return view;
}

async function inspect(call: ApiCall): Promise<void> {
  const c = await find(call);
  call.send(200, await inspectBody(call, c, call.bool('size')));
}

/**
 * Start failures as the docker CLI reads them: it exits 127 when the message says "no such file
 * or directory" or "executable file not found", 126 for "permission denied" (lower case, Go's).
 */
function startError(err: unknown): unknown {
  if (!isBerthError(err)) return err;
  const message = err.message.replace(/No such file or directory/g, 'no such file or directory').replace(/Permission denied/g, 'permission denied');
  if (err.code === 'BERTH_E_COMMAND_NOT_FOUND' || err.code === 'BERTH_E_COMMAND_NOT_EXECUTABLE') return errors.invalidArgument('START_FAILED', message);
  if (message !== err.message) return Object.assign(err, { message });
  return err;
}

async function start(call: ApiCall): Promise<void> {
  const c = await find(call);
  if (call.string('detachKeys') !== undefined) parseDetachKeys(call.string('detachKeys')!);
  if (isRunning(c)) return call.empty(304);
  try {
    await runState(call.engine).start(c);
  } catch (err) {
    throw startError(err);
  }
  call.empty(204);
}

async function stop(call: ApiCall): Promise<void> {
  const c = await find(call);
  if (!isRunning(c) && c.state.status !== 'restarting') return call.empty(304);
  const timeout = call.int('t');
  const signal = call.string('signal');
  await call.engine.containers.stop(c.id, { ...(timeout !== undefined ? { timeout } : {}), ...(signal !== undefined ? { signal: normalizeSignal(signal) } : {}) });
  call.empty(204);
}

async function restart(call: ApiCall): Promise<void> {
  const c = await find(call);
  const timeout = call.int('t');
  const signal = call.string('signal');
  if (isRunning(c) || c.state.status === 'restarting') {
    await call.engine.containers.stop(c.id, { ...(timeout !== undefined ? { timeout } : {}), ...(signal !== undefined ? { signal: normalizeSignal(signal) } : {}) });
  }
  try {
    await runState(call.engine).start(await find(call));
  } catch (err) {
    throw startError(err);
  }
  call.empty(204);
}

async function kill(call: ApiCall): Promise<void> {
  const ref = call.params.id!;
  const c = await find(call);
  // docker 28 sends no signal (SIGKILL); docker 20.10 sends `signal=KILL`.
  const signal = normalizeSignal(call.string('signal') ?? 'KILL');
  if (!isRunning(c)) throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Cannot kill container: ${ref}: Container ${c.id} is not running`);
  try {
    await call.engine.containers.kill(c.id, signal);
  } catch (err) {
    if (isBerthError(err) && err.code === 'BERTH_E_CONTAINER_NOT_RUNNING') {
      throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Cannot kill container: ${ref}: Container ${c.id} is not running`);
    }
    throw err;
  }
  // dockerd's kill with SIGKILL returns once the container has stopped (waiting up to a few seconds).
  if (signal === 'SIGKILL' || signal === '9') await call.engine.containers.wait(c.id, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  call.empty(204);
}

async function wait(call: ApiCall): Promise<void> {
  const c = await find(call);
  const text = call.string('condition') ?? 'not-running';
  if (text !== 'not-running' && text !== 'next-exit' && text !== 'removed') throw errors.invalidArgument('INVALID_CONDITION', `invalid condition: "${text}"`);
  // The CLI sends `start` only once these headers arrived: they go out before any waiting.
  const res = call.stream('application/json');
  let body: { Error: { Message: string } | null; StatusCode: number };
  try {
    body = { Error: null, StatusCode: await runState(call.engine).wait(c, text, call.signal) };
  } catch (err) {
    if (call.signal.aborted) return void res.end();
    body = { Error: { Message: (err as Error).message }, StatusCode: -1 };
  }
  res.end(JSON.stringify(body) + '\n');
}

async function remove(call: ApiCall): Promise<void> {
  const c = await find(call);
  if (call.bool('link')) throw errors.invalidArgument('UNSUPPORTED_FIELD', 'link is not supported by berth: containers have no links to remove');
  await call.engine.containers.remove(c.id, { force: call.bool('force'), volumes: call.bool('v') });
  const state = runState(call.engine);
  state.dropPending(c.id);
  state.execs.forgetContainer(c.id);
  call.empty(204);
}

async function resize(call: ApiCall): Promise<void> {
  const c = await find(call);
  const h = call.int('h') ?? 0;
  const w = call.int('w') ?? 0;
  if (h < 0 || w < 0 || h > 65535 || w > 65535) throw errors.invalidArgument('INVALID_SIZE', `invalid terminal size ${h}x${w}`);
  if (!isRunning(c)) throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Container ${c.id} is not running`);
  await call.engine.containers.resize(c.id, h, w);
  call.empty(200);
}

async function attach(call: ApiCall): Promise<void> {
  const c = await find(call);
  if (c.state.status === 'paused') throw errors.failedPrecondition('CONTAINER_PAUSED', 'You cannot attach to a paused container, unpause it first');
  if (c.state.status === 'restarting') throw errors.failedPrecondition('CONTAINER_RESTARTING', 'You cannot attach to a restarting container, wait until it is running');
  const detachKeys = call.string('detachKeys') !== undefined ? parseDetachKeys(call.string('detachKeys')!) : defaultDetachKeys;
  const wantStdin = call.bool('stdin') && c.config.OpenStdin === true;
  const wantStdout = call.bool('stdout');
  const wantStderr = call.bool('stderr');
  const tty = c.config.Tty === true;
  const { socket } = call.hijack();
  const session = new AttachSession(c.id, socket, { stdin: wantStdin, stdout: wantStdout, stderr: wantStderr && !tty, tty, stdinOnce: c.config.StdinOnce === true, detachKeys });
  const state = runState(call.engine);
  if (call.bool('logs')) {
    await call.engine.containers.logs(c.id, {
      stdout: session.streams.stdout ?? streamWriter(nowhere, 1, false),
      stderr: session.streams.stderr ?? streamWriter(nowhere, 2, false),
      signal: call.signal,
    }).catch(() => undefined);
  }
  if (!call.bool('stream')) return session.end();
  const current = await call.engine.containers.inspect(c.id).catch(() => undefined);
  if (current === undefined) return session.end();
  if (isRunning(current)) await state.attachRunning(session);
  else {
    // Created or stopped: the session waits for the start (`docker run`, `start -a`).
    state.hold(session);
    await session.done;
  }
}

async function logs(call: ApiCall): Promise<void> {
  const c = await find(call);
  const stdout = call.bool('stdout');
  const stderr = call.bool('stderr');
  if (!stdout && !stderr) throw errors.invalidArgument('NO_STREAM', 'Bad parameters: you must choose at least one stream');
  const tailText = call.string('tail') ?? 'all';
  let tail: number | undefined;
  if (tailText !== 'all') {
    if (!/^-?\d+$/.test(tailText)) throw errors.invalidArgument('INVALID_TAIL', `invalid value for "tail": ${JSON.stringify(tailText)}`);
    tail = Number(tailText) < 0 ? undefined : Number(tailText);
  }
  // dockerd's ErrReadLogsNotSupported (a 501), before any byte of the stream.
  if (c.hostConfig.logConfig?.type === 'none') throw errors.notImplemented('LOGS_UNSUPPORTED', 'configured logging driver does not support reading');
  const since = unixTime(call, 'since');
  const until = unixTime(call, 'until');
  const tty = c.config.Tty === true;
  // At 1.41 dockerd sends no Content-Type; from 1.42 it names the stream's kind.
  const res = call.stream(call.version >= 142 ? (tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream') : undefined);
  const sink: Sink = res;
  const out = streamWriter(stdout ? sink : nowhere, 1, !tty);
  const err = streamWriter(stderr ? sink : nowhere, 2, !tty);
  try {
    await call.engine.containers.logs(c.id, {
      stdout: out, stderr: err, follow: call.bool('follow'), timestamps: call.bool('timestamps'), details: call.bool('details'),
      ...(tail !== undefined ? { tail } : {}), ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}),
      signal: call.signal,
    });
  } finally {
    await Promise.all([out, err].map((w) => new Promise<void>((resolve) => {
      w.once('finish', resolve);
      w.once('error', () => resolve());
      w.end();
    })));
    res.end();
  }
}

/** `since`/`until`: Unix seconds with an optional fraction (the CLI turns `10m` and dates into that); 0 is unset. */
function unixTime(call: ApiCall, name: string): number | undefined {
  const text = call.string(name);
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) throw errors.invalidArgument('INVALID_TIME', `invalid value for "${name}": ${JSON.stringify(text)}`);
  const value = Number(text);
  return value === 0 ? undefined : value;
}

