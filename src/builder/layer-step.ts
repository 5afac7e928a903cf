/**
 * One filesystem-changing build step: look the step's key up in the cache; on a miss, prepare an
 * active snapshot on the stage's top layer, mount it, let the step work in it, then turn the
 * snapshot's upper directory into a reproducible layer (uncompressed: digest == diffID), store
 * it and commit the snapshot under its chain id. A step that changes nothing adds no layer.
 */
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';

import type { Digest, Operation } from '../base/index.js';
import { randomHex, trace } from '../base/index.js';
import { writeLayer } from '../core/diff/index.js';
import { chainIds } from '../core/images/index.js';
import { mountAll, unmountAll } from '../core/mount/index.js';
import { mediaTypes } from '../oci/index.js';
import type { EngineContext, StackLayer } from '../services/index.js';
import { commitOrDiscard, ensureUnpacked, stackLayers } from '../services/index.js';
import type { BuildCache, CacheRecord } from './build-cache.js';
import type { FileDigests } from './file-digests.js';
import type { StageState } from './stage-state.js';
import { chainKey } from './stage-state.js';

export interface StepEnv {
  ctx: EngineContext;
  cache: BuildCache;
  noCache: boolean;
  sourceDateEpoch?: number;
  /** `created` for history entries. */
  created: string;
  /** The build: owner of the step snapshots and containers, and its cancellation. */
  op: Operation;
  signal?: AbortSignal;
  /** The build context's file digests kept across builds (file-digests.ts); absent for a context extracted from a tar. */
  fileDigests?: FileDigests;
}

/** Makes sure the stage's layers are unpacked; returns the top chain id (undefined: no layers). */
async function unpackStage(env: StepEnv, state: StageState): Promise<Digest | undefined> {
  return unpackLayers(env, stackLayers(state.layers, state.diffIds, 'The build stage'));
}

/** Makes sure a layer stack is unpacked; returns the top chain id (undefined: no layers). */
export async function unpackLayers(env: StepEnv, layers: readonly StackLayer[]): Promise<Digest | undefined> {
  return ensureUnpacked(env.ctx, layers, env.signal ? { signal: env.signal } : {});
}

function addLayer(state: StageState, record: CacheRecord, createdBy: string, env: StepEnv): void {
  // With SOURCE_DATE_EPOCH every time is the epoch; otherwise the time the content was made.
  const created = env.sourceDateEpoch !== undefined ? env.created : record.created ?? env.created;
  state.lastCreated = created;
  if (record.diffId === null) {
    state.history.push({ created, created_by: createdBy, comment: 'buildkit.dockerfile.v0', empty_layer: true });
    return;
  }
  state.layers.push(record.layer ? { ...record.layer } : { mediaType: mediaTypes.ociLayer, digest: record.diffId, size: record.size });
  state.diffIds.push(record.diffId);
  state.history.push({ created, created_by: createdBy, comment: 'buildkit.dockerfile.v0' });
}

/** A cache hit usable now: its blob is still stored. */
async function lookup(env: StepEnv, key: string): Promise<CacheRecord | undefined> {
  if (env.noCache) return undefined;
  const record = await env.cache.get(key);
  if (!record) return undefined;
  if (record.diffId !== null && !(await env.ctx.content.has(record.layer?.digest ?? record.diffId))) return undefined;
  return record;
}

/** Mounts a snapshot at a fresh directory, runs `fn`, unmounts. */
export async function withMounted<T>(env: StepEnv, snapshotKey: string, fn: (rootfs: string) => Promise<T>): Promise<T> {
  const base = join(env.ctx.paths.root, 'build-mounts');
  await mkdir(base, { recursive: true });
  const dir = join(base, snapshotKey.replace(/[^a-zA-Z0-9_-]/g, '_'));
  await mkdir(dir, { recursive: true });
  // Not volatile: the upper directory becomes a committed layer snapshot that later builds and
  // containers stack on, so it must survive a power loss like any other layer.
  mountAll(await env.ctx.snapshots.mounts(snapshotKey), dir);
  try {
    return await fn(dir);
  } finally {
    await unmountAll(dir);
    await rmdir(dir).catch(() => undefined);
  }
}

async function storeLayer(env: StepEnv, upper: string): Promise<CacheRecord> {
  const writer = await env.ctx.content.writer();
  try {
    const options = { source: 'overlay-upper' as const, onWarning: env.ctx.warn, ...(env.sourceDateEpoch !== undefined ? { sourceDateEpoch: env.sourceDateEpoch } : {}) };
    // A layer of many small files arrives as many 512-byte headers and small bodies: write them
    // in pieces of at least 1 MiB, not one write(2) through the thread pool each.
    let pending: Buffer[] = [];
    let pendingSize = 0;
    const flush = async () => {
      const data = Buffer.concat(pending, pendingSize);
      pending = [];
      pendingSize = 0;
      if (data.length > 0) await writer.write(data);
    };
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        pending.push(chunk);
        pendingSize += chunk.length;
        if (pendingSize < 1 << 20) done();
        else flush().then(() => done(), done);
      },
      final(done) {
        flush().then(() => done(), done);
      },
    });
    await pipeline(writeLayer(upper, options), sink);
    const info = await writer.commit();
    return { diffId: info.digest, size: info.size };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** What the image's inline cache says of this step (inline-cache.ts), should the build write one. */
function keepForInlineCache(state: StageState, key: string, record: CacheRecord): void {
  (state.cacheRecords ??= []).push({
    key, diffId: record.diffId, size: record.size,
    ...(record.created !== undefined ? { created: record.created } : {}),
    ...(record.createdBy !== undefined ? { createdBy: record.createdBy } : {}),
  });
}

export interface LayerStepResult {
  cached: boolean;
}

/** Runs (or reuses) one filesystem step and adds its layer to the stage. */
export async function layerStep(env: StepEnv, state: StageState, step: { key: string; createdBy: string }, work: (rootfs: string, upper: string) => Promise<void>): Promise<LayerStepResult> {
  // The same step gives different bytes with and without a SOURCE_DATE_EPOCH (clamped times): key them apart.
  const cacheKey = env.sourceDateEpoch === undefined ? step.key : chainKey(step.key, 'source-date-epoch', String(env.sourceDateEpoch));
  const hit = await lookup(env, cacheKey);
  if (hit) {
    // Its place in the LRU order; a record that cannot be rewritten is still a hit.
    try {
      env.cache.used(cacheKey, hit);
    } catch (err) {
      trace(`build: cache record ${cacheKey} not marked used: ${(err as Error).message}`);
    }
    addLayer(state, hit, step.createdBy, env);
    keepForInlineCache(state, cacheKey, hit);
    return { cached: true };
  }
  const parent = await unpackStage(env, state);
  const snapshotKey = `build-${env.op.tag}-${randomHex(8)}`;
  trace('build: step parent unpacked');
  await env.ctx.snapshots.prepare(snapshotKey, parent, { labels: { 'berth.build': step.key } });
  trace('build: snapshot prepared');
  let committed = false;
  try {
    const upper = await env.ctx.snapshots.upperDir(snapshotKey);
    await withMounted(env, snapshotKey, (rootfs) => work(rootfs, upper));
    trace('build: step work done');
    let record: CacheRecord = { diffId: null, size: 0, created: env.created, createdBy: step.createdBy };
    if ((await readdir(upper)).length > 0) {
      record = { ...(await storeLayer(env, upper)), created: env.created, createdBy: step.createdBy };
      const chain = chainIds([...state.diffIds, record.diffId as Digest]);
      record.chainId = chain[chain.length - 1] as string;
      await commitOrDiscard(env.ctx, record.chainId, snapshotKey);
      committed = true;
    }
    trace('build: layer stored');
    await env.cache.put(cacheKey, record);
    addLayer(state, record, step.createdBy, env);
    keepForInlineCache(state, cacheKey, record);
    return { cached: false };
  } finally {
    if (!committed) await env.ctx.snapshots.remove(snapshotKey).catch(() => undefined);
  }
}
