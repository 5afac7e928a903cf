/**
 * `pull` and `push`: images between the store and registries (through EngineContext.registry).
 *
 * Pull: the tag's manifest (or index → the platform's manifest), the config, then the layers the
 * store lacks, three at a time. Every blob goes through a content writer that commits only
 * when digest and size match; each layer is unpacked while it downloads, side by side with the
 * others, into a snapshot of its own, and the snapshots are committed in chain order, each once
 * its diffID matched and the layer below it is committed (unpack.ts: stageLayer). Layers are stored as the
 * registry serves them (compressed), so the manifest keeps its digest and a push of a pulled
 * image sends the same bytes; the compressed digest → diffID record
 * (MetadataStore.putCompressedLayer) is written for each gzip or zstd layer (zstd is unpacked
 * through Debian's zstd program, Node 20 having none). The name is written last,
 * under a lease: an interrupted or refused pull names nothing, and its verified blobs are reused
 * by the next pull (until garbage collection takes them).
 *
 * Push: berth's uncompressed layers go up gzipped (once: the gzip form is kept), each blob the
 * registry lacks is mounted or uploaded, then the manifest; the registry's digest is printed
 * and recorded as the image's repo digest.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Digest, Operation } from '../base/index.js';
import { digestHex, errors, isBerthError } from '../base/index.js';
import type { FetchedManifest, RegistryClient } from '../core/distribution/index.js';
import { chainIds, validateConfig, validateManifest } from '../core/images/index.js';
import type { Descriptor, ImageIndex, Manifest, Platform } from '../oci/index.js';
import { formatPlatform, hostPlatform, isIndexMediaType, isManifestMediaType, layerCompression, mediaTypes, parseReference, selectManifest } from '../oci/index.js';
import type { PullOptions, PullResult, PushOptions, PushResult } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import type { ImageService } from './images.js';
import { loadDiff } from './lazy.js';
import { counting, Progress } from './progress.js';
import type { StackLayer } from './unpack.js';
import { commitStaged, ensureUnpacked, stackLayers, stageLayer, unpackRunning } from './unpack.js';

const concurrency = 3;
const maxConfigSize = 8 << 20;
/** Bytes of a blob gathered before they go to the content store in one write. */
const writeBatch = 1 << 20;

function parsePlatform(text: string): Platform {
  const [os, architecture, variant, ...rest] = text.split('/');
  if (!os || !architecture || rest.length > 0) throw errors.invalidArgument('INVALID_PLATFORM', `Invalid platform "${text}": use os/arch[/variant], e.g. linux/arm64`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** A registry's client; `credentials` as PullOptions' (absent: config.json's, null: anonymous). */
export async function client(ctx: EngineContext, domain: string, credentials?: { username: string; password: string } | null): Promise<RegistryClient> {
  if (!ctx.registry) throw errors.notImplemented('NO_REGISTRY', 'This engine was opened without registry access');
  return ctx.registry(domain, credentials !== undefined ? { credentials } : undefined);
}

/** A promise with its resolve and reject at hand (a rejection nobody awaits is not reported). */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve = (_value: T): void => undefined;
  let reject = (_err: unknown): void => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Runs `work` over `items`, at most `limit` at a time; the first failure is thrown once all have settled. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && failure === undefined) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

function parseJson<T>(data: Buffer, what: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw errors.dataLoss('MANIFEST_INVALID', `Cannot use ${what}: not valid JSON`, { cause: err });
  }
}

const short = (digest: Digest) => digestHex(digest).slice(0, 12);

/**
 * Downloads one blob into the content store, checking its size and digest before it is
 * committed. A layer's diffID is checked when it is unpacked, right after (pullImage), before
 * its snapshot is committed and before anything is named: checking it here too would gunzip
 * every layer twice.
 */
async function download(ctx: EngineContext, registry: RegistryClient, repository: string, desc: Descriptor, signal: AbortSignal | undefined, hooks: DownloadHooks = {}): Promise<void> {
  const body = await registry.fetchBlob(repository, desc.digest, signal ? { signal } : {});
  const writer = await ctx.content.writer();
  const tee = hooks.tee?.();
  try {
    let received = 0;
    // The store gets the blob in batches of a MiB, one write in flight while the next batch
    // arrives (not a trip through the thread pool per socket read); the unpack gets each piece.
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      await writing;
      const data = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batchBytes);
      batch = [];
      batchBytes = 0;
      writing = writer.write(data);
      writing.catch(() => undefined); // awaited before the next batch and at the end
    };
    for await (const piece of body) {
      const chunk = piece as Buffer;
      received += chunk.length;
      if (received > desc.size) throw errors.dataLoss('BLOB_SIZE_MISMATCH', `Blob "${desc.digest}" is larger than the ${desc.size} bytes its manifest says`);
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= writeBatch) await flush();
      if (tee && !tee.destroyed && !tee.write(chunk)) await drained(tee);
      hooks.onBytes?.(received);
    }
    if (batchBytes > 0) await flush();
    await writing;
    hooks.onVerify?.();
    if (received !== desc.size) throw errors.dataLoss('BLOB_TRUNCATED', `Blob "${desc.digest}" ended after ${received} of ${desc.size} bytes`);
    // the writer hashes what it stores and commits only the digest asked for (BLOB_DIGEST_MISMATCH otherwise)
    try {
      await writer.commit({ digest: desc.digest, size: desc.size });
    } catch (err) {
      if (!isBerthError(err) || err.code !== 'BERTH_E_BLOB_DIGEST_MISMATCH') throw err;
      throw errors.dataLoss('BLOB_DIGEST_MISMATCH', `Blob "${desc.digest}" from the registry does not match its digest (${err.message})`, { cause: err });
    }
    // only now: the unpack reading the tee commits its snapshot once its input ended
    tee?.end();
  } catch (err) {
    await writer.abort();
    const failure = isBerthError(err) ? err : errors.unavailable('REGISTRY_UNAVAILABLE', `Download of blob "${desc.digest}" failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    tee?.destroy(failure);
    throw failure;
  }
}

interface DownloadHooks {
  onBytes?: (received: number) => void;
  onVerify?: () => void;
  /** A stream to copy the blob into as it arrives (an unpack reading it), ended once the blob is verified and committed, failed otherwise. */
  tee?: () => PassThrough | undefined;
}

/** Waits until `stream` takes writes again (or is gone: a consumer that failed stops the copy, not the download). */
function drained(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done);
      resolve();
    };
    stream.on('drain', done).on('close', done);
  });
}

export async function pullImage(ctx: EngineContext, images: ImageService, name: string, options: PullOptions, op: Operation): Promise<PullResult> {
  const ref = parseReference(name);
  const progress = new Progress(options);
  const platform = options.platform !== undefined ? parsePlatform(options.platform) : hostPlatform();
  const signal = op.signal ? { signal: op.signal } : {};
  const registry = await client(ctx, ref.domain, options.credentials);
  const reference = ref.digest ?? ref.tag ?? 'latest';
  progress.status(`${reference}: Pulling from ${ref.path}`);
  const top = await registry.getManifest(ref.path, reference, signal);
  let fetched: FetchedManifest = top;
  for (let depth = 0; isIndexMediaType(fetched.mediaType); depth++) {
    if (depth > 3) throw errors.dataLoss('MANIFEST_INVALID', `Cannot pull ${ref.familiar}: indexes nested too deep`);
    const index = parseJson<ImageIndex>(fetched.data, `the index of ${ref.familiar}`);
    const chosen = Array.isArray(index.manifests) ? selectManifest(index, platform) : undefined;
    if (!chosen) throw errors.notFound('NO_MATCHING_MANIFEST', `no matching manifest for ${formatPlatform(platform)} in the manifest list entries of ${ref.familiar}`);
    fetched = await registry.getManifest(ref.path, chosen.digest, signal);
  }
  if (fetched.mediaType === mediaTypes.dockerManifestSchema1Signed || !isManifestMediaType(fetched.mediaType)) {
    throw errors.notImplemented('MANIFEST_UNSUPPORTED', `Cannot pull ${ref.familiar}: manifest media type "${fetched.mediaType}" is not supported (OCI and Docker schema 2 are)`);
  }
  const manifest: Manifest = validateManifest(parseJson(fetched.data, `the manifest of ${ref.familiar}`), fetched.digest);
  for (const layer of manifest.layers) {
    const compression = layerCompression(layer.mediaType);
    if (compression === 'zstd' && (await loadDiff()).findProgram('zstd') === undefined) {
      throw errors.notImplemented('LAYER_COMPRESSION_UNSUPPORTED', `Cannot pull ${ref.familiar}: layer ${layer.digest} is zstd-compressed, which needs the zstd program (Debian: apt-get install zstd)`);
    }
    if (compression === undefined || layer.mediaType === mediaTypes.dockerForeignLayerGzip) {
      throw errors.notImplemented('LAYER_COMPRESSION_UNSUPPORTED', `Cannot pull ${ref.familiar}: layer ${layer.digest} has media type "${layer.mediaType}", which berth cannot unpack`);
    }
  }
  if (manifest.config.size > maxConfigSize) throw errors.dataLoss('CONFIG_TOO_LARGE', `Cannot pull ${ref.familiar}: its config is ${manifest.config.size} bytes`);

  const target: Descriptor = { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.data.length };
  const existing = ctx.metadata.getImage(ref.full);
  let downloaded = false;
  const id = await withLeaseOf(ctx, op, async () => {
    if (!(await ctx.content.has(manifest.config.digest))) {
      await download(ctx, registry, ref.path, manifest.config, op.signal);
      downloaded = true;
    }
    const config = validateConfig(parseJson(await ctx.content.read(manifest.config.digest), `the config of ${ref.familiar}`), manifest.config.digest, manifest);
    const diffIds = config.rootfs.diff_ids;
    // Layers download three at a time; each is unpacked as its blob arrives (from the download
    // itself, or from the store when an earlier pull left it there), side by side, each into a
    // snapshot of its own (stageLayer), and committed in chain order (a chain id names the
    // layers below too), each once its diffID matched and the one below it is committed.
    const stack = stackLayers(manifest.layers, diffIds, `Image "${ref.familiar}"`);
    const chain = chainIds(diffIds);
    // each layer's staged snapshot (its key), or undefined when there is none to commit (the
    // layer is unpacked already, or another unpack of this process is making it)
    const staged = manifest.layers.map(() => deferred<string | undefined>());
    const uncommitted = new Set<string>();
    let failed = false;
    // Docker's order: every layer's first status at once (Already exists, or Pulling fs layer
    // and Waiting for those past the download limit), then each one's as it goes.
    const fresh = new Set<Digest>();
    for (const layer of manifest.layers) {
      if (fresh.has(layer.digest) || !(await ctx.content.has(layer.digest))) fresh.add(layer.digest);
    }
    for (const layer of manifest.layers) progress.status(fresh.has(layer.digest) ? 'Pulling fs layer' : 'Already exists', short(layer.digest));
    for (const digest of [...fresh].slice(concurrency)) progress.status('Waiting', short(digest));
    const sizes = new Map(manifest.layers.map((l) => [l.digest, l.size]));
    const extracting = progress.wantsBytes ? { onBytes: (blob: Digest, read: number) => progress.bytes(short(blob), 'Extracting', read, sizes.get(blob) ?? 0) } : {};
    const unpackOptions = { ...(op.signal ? { signal: op.signal } : {}), ...extracting };
    const committing = (async () => {
      for (let i = 0; i < stack.length; i++) {
        const key = await staged[i]?.promise;
        const layer = manifest.layers[i] as Descriptor;
        if (key === undefined) await ensureUnpacked(ctx, stack.slice(0, i + 1), unpackOptions);
        else {
          await commitStaged(ctx, chain[i] as Digest, key, chain[i - 1]);
          uncommitted.delete(key);
        }
        if (fresh.has(layer.digest)) progress.status('Pull complete', short(layer.digest));
      }
    })();
    committing.catch(() => {
      failed = true;
    });
    let downloadFailure: { err: unknown } | undefined;
    try {
      await eachLimited(manifest.layers.map((layer, i) => ({ layer, i })), concurrency, async ({ layer, i }) => {
        let staging: Promise<string> | undefined;
        try {
          if (failed) return; // the commits stopped at a failure, which the pull reports
          const chainId = chain[i] as Digest;
          const unpack = !(await ctx.snapshots.exists(chainId)) && !unpackRunning(ctx, chainId);
          const stage = (source?: { blob: Digest; stream: PassThrough }) => {
            const work = stageLayer(ctx, stack[i] as StackLayer, chainId, { ...unpackOptions, ...(source ? { source } : {}) });
            // a key made is a snapshot to commit or, when the pull fails, to remove; a failed
            // unpack stops reading the download (which goes on into the store)
            return work.then((key) => (uncommitted.add(key), key), (err: unknown) => {
              source?.stream.destroy();
              throw err;
            });
          };
          if (!(await ctx.content.has(layer.digest))) {
            const id = short(layer.digest);
            const tee = (): PassThrough | undefined => {
              if (!unpack) return undefined;
              const stream = new PassThrough({ highWaterMark: 1 << 20 });
              staging = stage({ blob: layer.digest, stream });
              staging.catch(() => undefined);
              return stream;
            };
            try {
              await download(ctx, registry, ref.path, layer, op.signal, {
                onBytes: (received) => progress.bytes(id, 'Downloading', received, layer.size),
                onVerify: () => progress.status('Verifying Checksum', id),
                tee,
              });
            } finally {
              // the unpack reading the download has its snapshot removed on failure before we go on
              await staging?.catch(() => undefined);
            }
            downloaded = true;
            progress.status('Download complete', id);
          }
          staged[i]?.resolve(unpack ? await (staging ?? stage()) : undefined);
        } catch (err) {
          for (const p of staged) p.reject(err);
          throw err;
        }
      });
    } catch (err) {
      downloadFailure = { err };
    } finally {
      await committing.catch(() => undefined);
      // layers unpacked but not committed, the pull having failed: nothing half-made stays
      for (const key of uncommitted) await ctx.snapshots.remove(key).catch(() => undefined);
    }
    // the commits' failure first: the downloads may have stopped because of it
    await committing;
    if (downloadFailure) throw downloadFailure.err;
    // A blob already there under the digest of these bytes is these bytes: a no-op pull writes and syncs nothing.
    const named = `sha256:${createHash('sha256').update(fetched.data).digest('hex')}` === fetched.digest;
    if (!named || !(await ctx.content.has(fetched.digest))) await ctx.content.put(fetched.data, { digest: fetched.digest, size: fetched.data.length });
    for (const [i, layer] of manifest.layers.entries()) {
      const compression = layerCompression(layer.mediaType);
      if (compression !== 'gzip' && compression !== 'zstd') continue;
      // written only when it adds something: a no-op pull changes nothing in the store
      if (ctx.metadata.getCompressedLayer(layer.digest)?.sources.includes(`${ref.domain}/${ref.path}`)) continue;
      try {
        ctx.metadata.putCompressedLayer({ compressed: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size }, diffId: diffIds[i] as Digest, sources: [`${ref.domain}/${ref.path}`] });
      } catch (err) {
        // A record is a hint: a conflicting one is reported, not fatal.
        if (!isBerthError(err)) throw err;
        op.warn(err.message);
      }
    }
    op.signal?.throwIfAborted();
    // The name pulled, and the repository's digest (Docker's RepoDigests: an index's digest when the tag named one).
    const digestName = `${ref.domain}/${ref.path}@${top.digest}`;
    const names = [...new Set([ref.full, digestName])];
    if (names.some((n) => ctx.metadata.getImage(n)?.target.digest !== target.digest)) images.name(target, manifest.config.digest, names);
    return manifest.config.digest;
  });
  if (existing?.target.digest !== target.digest) downloaded = true;
  progress.status(`Digest: ${top.digest}`);
  progress.status(`Status: ${downloaded ? 'Downloaded newer image' : 'Image is up to date'} for ${ref.familiar}`);
  return { name: ref.familiar, fullName: ref.full, id, digest: top.digest, downloaded };
}

async function withLeaseOf<T>(ctx: EngineContext, op: Operation, fn: () => Promise<T>): Promise<T> {
  const lease = await ctx.leases.acquire(op.signal ? { signal: op.signal } : {});
  try {
    return await fn();
  } finally {
    lease.release();
  }
}

/**
 * Another repository of the same registry that may hold a blob, for a cross-repository mount:
 * one a pull recorded it from (compressed layers), else one a local name of this registry points
 * at an image holding it (it was pushed or pulled there, most likely). A wrong guess costs
 * nothing: the registry then starts an ordinary upload.
 */
async function mountSource(ctx: EngineContext, domain: string, path: string, digest: Digest): Promise<string | undefined> {
  const prefix = `${domain}/`;
  const recorded = ctx.metadata.getCompressedLayer(digest)?.sources.find((s) => s.startsWith(prefix) && s !== `${domain}/${path}`);
  if (recorded !== undefined) return recorded.slice(prefix.length);
  for (const record of ctx.metadata.listImages()) {
    if (!record.name.startsWith(prefix)) continue;
    const other = parseReference(record.name);
    if (other.path === path) continue;
    try {
      const manifest = JSON.parse((await ctx.content.read(record.target.digest)).toString('utf8')) as Manifest;
      if (manifest.config?.digest === digest || manifest.layers?.some((l) => l.digest === digest)) return other.path;
    } catch {
      // an unreadable image is no source
    }
  }
  return undefined;
}

/** A gzip form of a layer already made (by an earlier push) and still stored, if any. */
async function storedGzipForm(ctx: EngineContext, diffId: Digest): Promise<{ digest: Digest; size: number } | undefined> {
  for (const record of ctx.metadata.listCompressedLayers(diffId)) {
    if (layerCompression(record.compressed.mediaType) === 'gzip' && (await ctx.content.has(record.compressed.digest))) return record.compressed;
  }
  return undefined;
}

/**
 * Gzips an uncompressed layer while it goes up (a streamed upload: its digest is known only at
 * the end) and stores the gzip form beside it, recorded as the layer's compressed form, so no
 * later push compresses it again. gzipLayer's settings are fixed: the same layer always gives the
 * same blob, and the same image pushed from two stores the same manifest digest.
 */
async function compressAndUpload(ctx: EngineContext, registry: RegistryClient, repository: string, layer: Descriptor, diffId: Digest, signal: AbortSignal | undefined, onBytes?: (read: number) => void): Promise<{ digest: Digest; size: number }> {
  const writer = await ctx.content.writer();
  const hash = createHash('sha256');
  let size = 0;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      writer.write(chunk).then(() => done(null, chunk), done);
    },
  });
  let digest: Digest | undefined;
  const digestOf = (): Digest => (digest ??= `sha256:${hash.digest('hex')}`);
  const source = ctx.content.createReadStream(layer.digest);
  const compressing = pipeline(onBytes ? counting(source, onBytes) : source, (await loadDiff()).gzipLayer(), tee, ...(signal ? [{ signal }] : []));
  compressing.catch(() => undefined);
  try {
    await Promise.all([compressing, registry.pushStream(repository, tee, digestOf, { sizeHint: layer.size, ...(signal ? { signal } : {}) })]);
    const info = await writer.commit({ digest: digestOf(), size });
    return { digest: info.digest, size: info.size };
  } catch (err) {
    tee.destroy();
    await compressing.catch(() => undefined);
    await writer.abort();
    throw err;
  }
}

export async function pushImage(ctx: EngineContext, images: ImageService, name: string, options: PushOptions, op: Operation): Promise<PushResult> {
  const ref = parseReference(name);
  if (ref.digest !== undefined) throw errors.invalidArgument('PUSH_BY_DIGEST', `Cannot push "${name}": push a tag, not a digest`);
  const progress = new Progress(options);
  const signal = op.signal ? { signal: op.signal } : {};
  const image = await images.resolve(ref.full);
  const registry = await client(ctx, ref.domain, options.credentials);
  const tag = ref.tag ?? 'latest';
  const source = `${ref.domain}/${ref.path}`;
  progress.status(`The push refers to repository [${source}]`);
  for (const blob of [...image.manifest.layers, image.manifest.config]) {
    if (!(await ctx.content.has(blob.digest))) throw errors.dataLoss('BLOB_NOT_FOUND', `Cannot push ${ref.familiar}: blob "${blob.digest}" is missing from the store (see berth system check)`);
  }
  const gzipType = image.manifestDescriptor.mediaType === mediaTypes.dockerManifest ? mediaTypes.dockerLayerGzip : mediaTypes.ociLayerGzip;
  // Compressed layers and the manifest naming them are stored before a name points at them: hold off collection.
  return withLeaseOf(ctx, op, async () => {
    // berth's own layers are stored uncompressed; they go up gzipped, as docker push sends them.
    const layers: Descriptor[] = [...image.manifest.layers];
    const diffIds = image.config.rootfs.diff_ids;
    const toCompress = new Map<Digest, number[]>();
    for (const [i, layer] of layers.entries()) {
      if (layerCompression(layer.mediaType) !== 'none') continue;
      const stored = await storedGzipForm(ctx, diffIds[i] as Digest);
      if (stored) layers[i] = { ...layer, mediaType: gzipType, ...stored };
      else toCompress.set(layer.digest, [...(toCompress.get(layer.digest) ?? []), i]);
    }
    const ready = new Map<Digest, Descriptor>();
    for (const blob of [...layers, image.manifest.config]) if (!toCompress.has(blob.digest)) ready.set(blob.digest, blob);
    type Task = { compress: Digest } | { blob: Descriptor };
    const tasks: Task[] = [...[...toCompress.keys()].map((d) => ({ compress: d })), ...[...ready.values()].map((blob) => ({ blob }))];
    // Progress as docker push shows it: a line per layer under its short diffID (none for the config).
    const idOf = (digest: Digest): string | undefined => {
      const i = layers.findIndex((l, j) => l.digest === digest || image.manifest.layers[j]?.digest === digest);
      return i < 0 ? undefined : short(diffIds[i] as Digest);
    };
    const layerStatus = (digest: Digest, status: string) => {
      const id = idOf(digest);
      if (id !== undefined) progress.status(status, id);
    };
    const taskDigest = (task: Task) => ('compress' in task ? task.compress : task.blob.digest);
    for (const task of tasks) layerStatus(taskDigest(task), 'Preparing');
    for (const task of tasks.slice(concurrency)) layerStatus(taskDigest(task), 'Waiting');
    const pushing = (digest: Digest, total: number) => {
      const id = idOf(digest);
      return id !== undefined && progress.wantsBytes ? (sent: number) => progress.bytes(id, 'Pushing', sent, total) : undefined;
    };
    await eachLimited(tasks, concurrency, async (task) => {
      if ('compress' in task) {
        const indexes = toCompress.get(task.compress) ?? [];
        const first = indexes[0] as number;
        const diffId = diffIds[first] as Digest;
        const original = layers[first] as Descriptor;
        const compressed = await compressAndUpload(ctx, registry, ref.path, original, diffId, op.signal, pushing(original.digest, original.size));
        for (const i of indexes) layers[i] = { ...(layers[i] as Descriptor), mediaType: gzipType, ...compressed };
        ctx.metadata.putCompressedLayer({ compressed: { mediaType: mediaTypes.ociLayerGzip, ...compressed }, diffId, sources: [] });
        layerStatus(compressed.digest, 'Pushed');
        return;
      }
      const { blob } = task;
      if (await registry.hasBlob(ref.path, blob.digest, signal)) {
        layerStatus(blob.digest, 'Layer already exists');
        return;
      }
      const from = await mountSource(ctx, ref.domain, ref.path, blob.digest);
      const report = pushing(blob.digest, blob.size);
      const open = () => {
        const stream = ctx.content.createReadStream(blob.digest);
        return report ? counting(stream, report) : stream;
      };
      const how = await registry.pushBlob(ref.path, { digest: blob.digest, size: blob.size }, open, { ...signal, ...(from !== undefined ? { mountFrom: from } : {}) });
      layerStatus(blob.digest, how === 'mounted' ? `Mounted from ${from ?? ''}` : 'Pushed');
    });
    const changed = layers.some((l, i) => l.digest !== image.manifest.layers[i]?.digest);
    let descriptor = image.manifestDescriptor;
    let data: Buffer;
    if (changed) {
      data = Buffer.from(JSON.stringify({ ...image.manifest, layers }));
      const info = await ctx.content.put(data);
      descriptor = { mediaType: image.manifestDescriptor.mediaType, digest: info.digest, size: info.size };
    } else data = await ctx.content.read(image.manifestDescriptor.digest);
    const digest = await registry.putManifest(ref.path, tag, { mediaType: descriptor.mediaType, data }, signal);
    if (digest !== descriptor.digest) op.warn(`registry "${ref.domain}" stored the manifest as ${digest}, not ${descriptor.digest}`);
    else {
      // The registry's digest names the pushed manifest here too (RepoDigests), which keeps its compressed blobs.
      images.name(descriptor, image.id, [`${source}@${digest}`]);
      for (const [i, layer] of layers.entries()) {
        if (layerCompression(layer.mediaType) !== 'gzip') continue;
        try {
          ctx.metadata.putCompressedLayer({ compressed: { mediaType: mediaTypes.ociLayerGzip, digest: layer.digest, size: layer.size }, diffId: diffIds[i] as Digest, sources: [source] });
        } catch (err) {
          if (!isBerthError(err)) throw err;
          op.warn(err.message);
        }
      }
    }
    progress.status(`${tag}: digest: ${digest} size: ${data.length}`);
    return { tag, digest, size: data.length };
  });
}
