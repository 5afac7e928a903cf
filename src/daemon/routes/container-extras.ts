/**
 * Container endpoints beyond the lifecycle: top, stats, changes, export, the archive endpoints
 * `docker cp` uses (HEAD/GET/PUT /containers/{id}/archive), rename, update, pause and unpause,
 * prune, and POST /commit. Each is one Engine call; what is Docker's here is the shape of the
 * answer (dockerd 20.10's, API 1.41) and the statuses.
 */
import { PassThrough, type Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

import { beginOperation, errors, isBerthError, type Operation, writableReady } from '../../base/index.js';
import { parseRestartPolicy, pathStatHeader, statsJson } from '../../api/index.js';
import type { ContainerUpdate, Engine, StatsSample } from '../../api/index.js';
import type { ApiCall } from '../api-call.js';
import type { Router } from '../router.js';

/** Runs `fn` in an Operation that the client's going away cancels, and ends it after. */
async function withOp<T>(call: ApiCall, fn: (op: Operation) => Promise<T>): Promise<T> {
  const op = beginOperation({ signal: call.signal });
  try {
    return await fn(op);
  } finally {
    op.end();
  }
}

/**
 * A stream for a binary answer (a tar) whose headers go out with its first bytes: an engine call
 * that fails before writing anything is then still answered with its status and message. After
 * the first bytes an error can only break the connection, so that the client sees a truncated
 * answer as one (a chunked body that ended cleanly would look complete).
 */
function lazyBody(call: ApiCall, contentType: string, headers: Record<string, string> = {}): { out: Writable; finish(): void; fail(err: unknown): void } {
  let res: ReturnType<ApiCall['stream']> | undefined;
  const open = () => {
    if (!res) {
      for (const [k, v] of Object.entries(headers)) call.res?.setHeader(k, v);
      res = call.stream(contentType);
    }
    return res;
  };
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const r = open();
      if (r.destroyed) return done(errors.aborted('CLIENT_GONE', 'The client closed the connection'));
      if (r.write(chunk)) done();
      else void writableReady(r).then(() => done());
    },
  });
  return {
    out,
    finish: () => open().end(),
    fail: (err) => {
      if (!res) throw err;
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  };
}

/**
 * The request body for an engine call that may fail halfway (a tar that is refused at its third
 * entry): the call gets a stream of its own, so that its failure, which destroys what it reads,
 * never destroys the request and its connection; the rest of the body is then drained, and the
 * client reads the error. A client that goes away mid-upload makes the stream fail (truncated).
 */
function isolatedBody(call: ApiCall): Readable {
  const req = call.body();
  const out = new PassThrough();
  req.pipe(out);
  out.once('close', () => {
    if (!req.readableEnded) {
      req.unpipe(out);
      req.resume();
    }
  });
  call.signal.addEventListener('abort', () => {
    if (!req.readableEnded) out.destroy(errors.aborted('CLIENT_GONE', 'The client closed the connection during the upload'));
  }, { once: true });
  return out;
}

/** The cgroup version, asked once per Engine (stats names its memory counters after it). */
const cgroupVersions = new WeakMap<Engine, Promise<'1' | '2'>>();
function cgroupVersion(engine: Engine): Promise<'1' | '2'> {
  let v = cgroupVersions.get(engine);
  if (!v) {
    v = engine.system.facts().then((f) => f.cgroupVersion, () => '2' as const);
    cgroupVersions.set(engine, v);
  }
  return v;
}

/** Waits `ms`; false when the client went away meanwhile. */
async function pause(call: ApiCall, ms: number): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal: call.signal });
    return true;
  } catch {
    return false;
  }
}

/** Docker's stats collector samples once a second. */
const STATS_INTERVAL_MS = 1000;

async function stats(call: ApiCall): Promise<void> {
  const id = call.params['id']!;
  const containers = call.engine.containers;
  const version = await cgroupVersion(call.engine);
  let previous: StatsSample = await containers.stats(id);
  if (!call.bool('stream', true)) {
    // Without one-shot, dockerd waits for a second sample so that precpu_stats is filled (CPU %).
    if (call.bool('one-shot') || !previous.running) return call.send(200, statsJson(undefined, previous, version));
    if (!(await pause(call, STATS_INTERVAL_MS))) return;
    return call.send(200, statsJson(previous, await containers.stats(id), version));
  }
  const out = call.jsonLines('\n');
  out.write(statsJson(undefined, previous, version));
  while (await pause(call, STATS_INTERVAL_MS)) {
    let current: StatsSample;
    try {
      current = await containers.stats(id);
    } catch (err) {
      // Removed meanwhile: the stream ends, as dockerd's does.
      if (isBerthError(err) && err.kind === 'NotFound') break;
      throw err;
    }
    out.write(statsJson(previous, current, version));
    previous = current;
  }
  out.end();
}

/** The archive endpoints' 404, as dockerd words it. */
const fileNotFound = (path: string, ref: string) => errors.notFound('CP_SOURCE_NOT_FOUND', `Could not find the file ${path} in container ${ref}`);

async function putArchive(call: ApiCall): Promise<void> {
  const id = call.params['id']!;
  const path = call.string('path');
  if (path === undefined) throw errors.invalidArgument('MISSING_PARAMETER', 'path is required');
  await withOp(call, async (op) => {
    // dockerd's checks first: the extraction point must exist (404) and be a directory (400).
    let isDir: boolean;
    try {
      const st = await call.engine.containers.statPath(id, path.endsWith('/') ? path : `${path}/`, op);
      isDir = (st.mode & 0o170000) === 0o040000;
    } catch (err) {
      if (!isBerthError(err) || err.code !== 'BERTH_E_CP_SOURCE_NOT_FOUND') throw err;
      // `dir/` of a file is not found by a stat that follows; tell it apart from a missing path.
      const plain = await call.engine.containers.statPath(id, path.replace(/\/+$/, '') || '/', op).catch(() => undefined);
      if (plain === undefined) throw fileNotFound(path, id);
      isDir = false;
    }
    if (!isDir) throw errors.invalidArgument('CP_DEST_NOT_DIRECTORY', 'extraction point is not a directory');
    await call.engine.containers.copyTo(id, { stream: isolatedBody(call) }, path, {
      archive: call.bool('copyUIDGID'),
      overwriteDirNonDir: !call.bool('noOverwriteDirNonDir'),
    }, op);
  });
  call.empty(200);
}

/** Config fields of POST /commit's body that berth turns into Dockerfile instructions (`--change`). */
function commitConfigChanges(config: Record<string, unknown> | null): string[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return [];
  const changes: string[] = [];
  const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || v === false || v === 0
    || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v).length === 0);
  for (const [key, value] of Object.entries(config)) {
    if (isEmpty(value)) continue;
    const strings = (what: string) => {
      if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) throw errors.invalidArgument('INVALID_COMMIT_CONFIG', `${key} must be ${what}`);
      return value;
    };
    const object = () => {
      if (typeof value !== 'object' || Array.isArray(value)) throw errors.invalidArgument('INVALID_COMMIT_CONFIG', `${key} must be an object`);
      return value as Record<string, unknown>;
    };
    switch (key) {
      case 'Cmd': changes.push(`CMD ${JSON.stringify(strings('a list of strings'))}`); break;
      case 'Entrypoint': changes.push(`ENTRYPOINT ${JSON.stringify(strings('a list of strings'))}`); break;
      case 'Env':
        for (const e of strings('a list of strings')) {
          const eq = e.indexOf('=');
          changes.push(`ENV ${eq < 0 ? e : e.slice(0, eq)}=${JSON.stringify(eq < 0 ? '' : e.slice(eq + 1))}`);
        }
        break;
      case 'Labels': for (const [k, v] of Object.entries(object())) changes.push(`LABEL ${JSON.stringify(k)}=${JSON.stringify(String(v))}`); break;
      case 'ExposedPorts': for (const p of Object.keys(object())) changes.push(`EXPOSE ${p}`); break;
      case 'Volumes': changes.push(`VOLUME ${JSON.stringify(Object.keys(object()))}`); break;
      case 'WorkingDir': changes.push(`WORKDIR ${String(value)}`); break;
      case 'User': changes.push(`USER ${String(value)}`); break;
      case 'StopSignal': changes.push(`STOPSIGNAL ${String(value)}`); break;
      // What the container's config says already (create's echo), or fields of a running container that an image does not keep.
      case 'Hostname': case 'Domainname': case 'Image': case 'AttachStdin': case 'AttachStdout': case 'AttachStderr':
      case 'Tty': case 'OpenStdin': case 'StdinOnce': case 'ArgsEscaped': case 'NetworkDisabled': case 'OnBuild':
        break;
      default:
        throw errors.invalidArgument('UNSUPPORTED_COMMIT_CONFIG', `berth cannot commit with config field ${key}: use changes (Dockerfile instructions) instead`);
    }
  }
  return changes;
}

/** POST /containers/{id}/update's body (Docker's UpdateConfig): zero values mean "unchanged". */
interface UpdateBody {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  NanoCpus?: number;
  CpuShares?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
  BlkioWeight?: number;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  [other: string]: unknown;
}

const updateHandled = new Set(['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight', 'RestartPolicy']);

function updateChanges(body: UpdateBody): ContainerUpdate {
  for (const [key, value] of Object.entries(body)) {
    if (updateHandled.has(key)) continue;
    const zero = value === null || value === undefined || value === 0 || value === '' || value === false || (Array.isArray(value) && value.length === 0);
    if (!zero) throw errors.invalidArgument('UNSUPPORTED_UPDATE', `berth cannot update ${key} of a container (it updates Memory, MemorySwap, MemoryReservation, NanoCpus, CpuShares, CpusetCpus, CpusetMems, PidsLimit, BlkioWeight and RestartPolicy)`);
  }
  const num = (key: keyof UpdateBody) => {
    const v = body[key];
    if (v !== undefined && v !== null && typeof v !== 'number') throw errors.invalidArgument('INVALID_UPDATE', `${key} must be a number`);
    return v;
  };
  const changes: ContainerUpdate = {};
  const memory = num('Memory');
  if (memory) changes.memory = memory;
  const swap = num('MemorySwap');
  if (swap) changes.memorySwap = swap;
  const reservation = num('MemoryReservation');
  if (reservation) changes.memoryReservation = reservation;
  const nanoCpus = num('NanoCpus');
  if (nanoCpus) changes.nanoCpus = nanoCpus;
  const shares = num('CpuShares');
  if (shares) changes.cpuShares = shares;
  if (body.CpusetCpus) changes.cpusetCpus = body.CpusetCpus;
  if (body.CpusetMems) changes.cpusetMems = body.CpusetMems;
  const pids = num('PidsLimit');
  if (pids !== undefined && pids !== null) changes.pidsLimit = pids;
  const weight = num('BlkioWeight');
  if (weight) changes.blkioWeight = weight;
  const policy = body.RestartPolicy;
  if (policy?.Name) changes.restartPolicy = parseRestartPolicy(`${policy.Name}${policy.MaximumRetryCount ? `:${policy.MaximumRetryCount}` : ''}`);
  return changes;
}

export function addContainerExtrasRoutes(router: Router): void {
  router.add('GET', '/containers/{id}/top', async (call) => {
    const psArgs = (call.string('ps_args') ?? '').split(/\s+/).filter(Boolean);
    const list = await call.engine.containers.top(call.params['id']!, psArgs.length > 0 ? psArgs : undefined);
    call.send(200, { Processes: list.processes, Titles: list.titles });
  });

  router.add('GET', '/containers/{id}/stats', stats);

  router.add('GET', '/containers/{id}/changes', async (call) => {
    const kinds = { C: 0, A: 1, D: 2 } as const;
    const changes = await withOp(call, (op) => call.engine.containers.changes(call.params['id']!, op));
    // dockerd sends null for a container without changes.
    call.send(200, changes.length === 0 ? null : changes.map((c) => ({ Path: c.path, Kind: kinds[c.kind] })));
  });

  router.add('GET', '/containers/{id}/export', async (call) => {
    const body = lazyBody(call, 'application/x-tar');
    await withOp(call, async (op) => {
      try {
        await call.engine.containers.export(call.params['id']!, body.out, op);
      } catch (err) {
        return body.fail(err);
      }
      body.finish();
    });
  });

  // HEAD: the stat alone (docker cp asks it of the destination); GET: the stat and a tar of the path.
  router.add('HEAD', '/containers/{id}/archive', async (call) => {
    const id = call.params['id']!;
    const path = call.string('path');
    if (path === undefined) throw errors.invalidArgument('MISSING_PARAMETER', 'path is required');
    const stat = await withOp(call, (op) => call.engine.containers.statPath(id, path, op));
    call.res?.setHeader('X-Docker-Container-Path-Stat', pathStatHeader(stat));
    call.empty(200);
  });
  router.add('GET', '/containers/{id}/archive', async (call) => {
    const id = call.params['id']!;
    const path = call.string('path');
    if (path === undefined) throw errors.invalidArgument('MISSING_PARAMETER', 'path is required');
    await withOp(call, async (op) => {
      const stat = await call.engine.containers.statPath(id, path, op);
      const body = lazyBody(call, 'application/x-tar', { 'X-Docker-Container-Path-Stat': pathStatHeader(stat) });
      try {
        await call.engine.containers.copyFrom(id, path, { stream: body.out }, {}, op);
      } catch (err) {
        return body.fail(err);
      }
      body.finish();
    });
  });
  router.add('PUT', '/containers/{id}/archive', putArchive);

  router.add('POST', '/containers/{id}/rename', async (call) => {
    const name = call.string('name');
    if (name === undefined) throw errors.invalidArgument('MISSING_PARAMETER', 'Neither old nor new names may be empty');
    await call.engine.containers.rename(call.params['id']!, name);
    call.empty(204);
  });

  router.add('POST', '/containers/{id}/update', async (call) => {
    const changes = updateChanges(await call.json<UpdateBody>({}));
    const op = beginOperation({ signal: call.signal });
    try {
      await call.engine.containers.update(call.params['id']!, changes, op);
    } finally {
      op.end();
    }
    // What the host could not apply: the docker CLI prints each warning.
    call.send(200, { Warnings: op.warnings.length > 0 ? [...op.warnings] : null });
  });

  router.add('POST', '/containers/{id}/pause', async (call) => {
    await call.engine.containers.pause(call.params['id']!);
    call.empty(204);
  });
  router.add('POST', '/containers/{id}/unpause', async (call) => {
    await call.engine.containers.unpause(call.params['id']!);
    call.empty(204);
  });

  router.add('POST', '/containers/prune', async (call) => {
    const filters = call.filters();
    const result = await withOp(call, (op) => call.engine.containers.prune({ filters }, op));
    call.send(200, { ContainersDeleted: result.deleted.length > 0 ? result.deleted : null, SpaceReclaimed: result.spaceReclaimed });
  });

  router.add('POST', '/commit', async (call) => {
    const container = call.string('container');
    if (container === undefined) throw errors.invalidArgument('MISSING_PARAMETER', 'container is required');
    const repo = call.string('repo');
    const tag = call.string('tag');
    if (repo === undefined && tag !== undefined) throw errors.invalidArgument('INVALID_REFERENCE', 'a tag needs a repository (repo)');
    const config = await call.json<Record<string, unknown> | null>(null);
    const changes = [...commitConfigChanges(config), ...call.query.getAll('changes').filter((c) => c.trim() !== '')];
    // Without `pause`, dockerd pauses (API 1.13 and later).
    const pauseIt = call.query.get('pause') === null || call.query.get('pause') === '' ? true : call.bool('pause');
    const message = call.string('comment');
    const author = call.string('author');
    const result = await withOp(call, (op) => call.engine.containers.commit(container, {
      ...(repo !== undefined ? { reference: tag !== undefined ? `${repo}:${tag}` : repo } : {}),
      changes, pause: pauseIt,
      ...(message !== undefined ? { message } : {}),
      ...(author !== undefined ? { author } : {}),
    }, op));
    call.send(201, { Id: result.id });
  });
}
