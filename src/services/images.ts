import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import type { Digest } from '../base/index.js';
import { errors, shortId } from '../base/index.js';
import { putJson } from '../core/content/index.js';
import type { ImageRecord, ResolvedImage } from '../core/images/index.js';
import { resolveImage } from '../core/images/index.js';
import type { Descriptor, ImageConfig, ImageRuntimeConfig, Manifest } from '../oci/index.js';
import { hostPlatform, mediaTypes, parseReference } from '../oci/index.js';
import type { EngineContext } from './engine-context.js';
import { loadDiff } from './lazy.js';
import { commitOrDiscard } from './unpack.js';

export interface ImageSummary {
  id: Digest;
  names: string[];
  created: string;
  size: number;
}

export interface ImportOptions {
  /** Config set by `--change` instructions. */
  config?: ImageRuntimeConfig;
  message?: string;
  /** Where the tarball came from, for the history entry (`-` for stdin). */
  source?: string;
  signal?: AbortSignal;
}

export interface ImageService {
  /** Finds an image by name, full id or unique id prefix. NotFound names the image. */
  resolve(ref: string): Promise<ResolvedImage & { record: ImageRecord | undefined }>;
  list(): Promise<ImageSummary[]>;
  /** Makes a rootfs tarball a single-layer image named `name` (like `docker import`). */
  import(tar: Readable, name: string, options?: ImportOptions): Promise<ResolvedImage>;
  /** Stores a manifest for `config` + `layers` and points `names` at it. */
  commit(config: ImageConfig, layers: Descriptor[], names: string[]): Promise<ResolvedImage>;
  tag(ref: string, name: string): Promise<void>;
  /** Removes names (or, given an id, every name of that image); returns what was untagged. */
  remove(ref: string, options?: { force?: boolean }): Promise<string[]>;
}

export function createImageService(ctx: EngineContext): ImageService {
  async function resolve(ref: string): Promise<ResolvedImage & { record: ImageRecord | undefined }> {
    const bareId = ref.replace(/^sha256:/, '');
    let record: ImageRecord | undefined;
    if (/^[a-f0-9]{64}$/.test(bareId) || !/^[a-f0-9]{4,63}$/.test(bareId)) {
      try {
        record = ctx.metadata.getImage(parseReference(ref).full);
      } catch {
        record = undefined;
      }
    }
    if (!record && /^[a-f0-9]{4,64}$/.test(bareId)) {
      const matches = ctx.metadata.listImages().filter((r) => r.id.startsWith(`sha256:${bareId}`));
      const ids = new Set(matches.map((m) => m.id));
      if (ids.size > 1) throw errors.invalidArgument('AMBIGUOUS_IMAGE', `Image id prefix "${ref}" matches more than one image`);
      record = matches[0];
    }
    if (!record) throw errors.notFound('IMAGE_NOT_FOUND', `Unable to find image "${ref}" locally`);
    return { ...(await resolveImage(ctx.content, record.target)), record };
  }

  async function commit(config: ImageConfig, layers: Descriptor[], names: string[]): Promise<ResolvedImage> {
    const configDesc = await putJson(ctx.content, mediaTypes.ociConfig, config);
    const manifest: Manifest = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: configDesc, layers };
    const target = await putJson(ctx.content, mediaTypes.ociManifest, manifest);
    const now = Date.now();
    ctx.metadata.transaction(() => {
      for (const name of names) {
        const existing = ctx.metadata.getImage(name);
        ctx.metadata.putImage({ name, target, id: configDesc.digest, createdAt: existing?.createdAt ?? now, updatedAt: now });
      }
    });
    return { manifestDescriptor: target, manifest, config, id: configDesc.digest };
  }

  return {
    resolve,
    commit,
    async list() {
      const byId = new Map<string, ImageSummary>();
      for (const record of ctx.metadata.listImages()) {
        let summary = byId.get(record.id);
        if (!summary) {
          const image = await resolveImage(ctx.content, record.target);
          const size = image.manifest.layers.reduce((sum, l) => sum + l.size, 0);
          summary = { id: record.id, names: [], created: image.config.created ?? '', size };
          byId.set(record.id, summary);
        }
        summary.names.push(parseReference(record.name).familiar);
      }
      return [...byId.values()].sort((a, b) => b.created.localeCompare(a.created));
    },
    async import(tar, name, options = {}) {
      const ref = parseReference(name);
      const key = `import-${randomBytes(8).toString('hex')}`;
      await ctx.snapshots.prepare(key, undefined);
      const writer = await ctx.content.writer();
      let layer: { diffId: Digest; size: number };
      try {
        const dir = await ctx.snapshots.upperDir(key);
        // One pass over the input: the uncompressed tar goes both into the content store (the
        // layer blob) and onto the snapshot (the unpacked layer).
        const tee = new Transform({
          transform(chunk: Buffer, _enc, done) {
            writer.write(chunk).then(() => done(null, chunk), done);
          },
        });
        const uncompressed = await maybeGunzip(tar);
        const applying = (await loadDiff()).applyLayer(tee, dir, { whiteouts: 'overlay', devices: 'skip', onWarning: ctx.warn, ...(options.signal ? { signal: options.signal } : {}) });
        await Promise.all([pipeline(uncompressed, tee, ...(options.signal ? [{ signal: options.signal }] : [])), applying]);
        layer = await applying;
        await writer.commit({ digest: layer.diffId });
      } catch (err) {
        await writer.abort();
        await ctx.snapshots.remove(key).catch(() => undefined);
        throw err;
      }
      await commitOrDiscard(ctx, layer.diffId, key);
      const created = new Date().toISOString();
      const platform = hostPlatform();
      const config: ImageConfig = {
        created,
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        config: options.config ?? {},
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
        history: [{ created, created_by: 'berth import', comment: options.message ?? `Imported from ${options.source ?? '-'}` }],
      };
      const desc: Descriptor = { mediaType: mediaTypes.ociLayer, digest: layer.diffId, size: layer.size };
      return commit(config, [desc], [ref.full]);
    },
    async tag(ref, name) {
      const image = await resolve(ref);
      const now = Date.now();
      ctx.metadata.putImage({ name: parseReference(name).full, target: image.manifestDescriptor, id: image.id, createdAt: now, updatedAt: now });
    },
    async remove(ref, options = {}) {
      const image = await resolve(ref);
      const byName = image.record && parseReference(ref).full === image.record.name && !/^(sha256:)?[a-f0-9]{4,64}$/.test(ref);
      const names = byName && image.record ? [image.record.name] : ctx.metadata.listImages().filter((r) => r.id === image.id).map((r) => r.name);
      const remaining = ctx.metadata.listImages().filter((r) => r.id === image.id && !names.includes(r.name));
      if (remaining.length === 0 && !options.force) {
        const user = ctx.metadata.listContainers().find((c) => c.imageId === image.id);
        if (user) {
          throw errors.failedPrecondition('IMAGE_IN_USE', `Cannot remove image "${ref}": container "${user.name}" (${shortId(user.id)}) uses it`);
        }
      }
      ctx.metadata.transaction(() => names.forEach((n) => ctx.metadata.deleteImage(n)));
      return names.map((n) => parseReference(n).familiar);
    },
  };
}

/** Passes a tar through, gunzipping it first when it starts with the gzip magic bytes. */
async function maybeGunzip(input: Readable): Promise<Readable> {
  const first = await new Promise<Buffer | null>((resolveChunk, reject) => {
    const onReadable = () => {
      cleanup();
      resolveChunk(input.read() as Buffer | null);
    };
    const onEnd = () => (cleanup(), resolveChunk(null));
    const onError = (err: Error) => (cleanup(), reject(err));
    const cleanup = () => {
      input.off('readable', onReadable);
      input.off('end', onEnd);
      input.off('error', onError);
    };
    input.once('readable', onReadable);
    input.once('end', onEnd);
    input.once('error', onError);
  });
  if (first === null) throw errors.invalidArgument('EMPTY_ARCHIVE', 'Cannot import an empty archive');
  input.unshift(first);
  if (first[0] === 0x1f && first[1] === 0x8b) return input.pipe(createGunzip());
  return input;
}
