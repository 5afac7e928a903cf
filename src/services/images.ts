import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Digest, Operation } from '../base/index.js';
import { errors, isBerthError, randomHex, shortId, withOperation } from '../base/index.js';
import { putJson } from '../core/content/index.js';
import { withLease } from '../core/metadata/index.js';
import type { ImageRecord, ResolvedImage } from '../core/images/index.js';
import { resolveImage } from '../core/images/index.js';
import type { Descriptor, ImageConfig, ImageRuntimeConfig, Manifest } from '../oci/index.js';
import { hostPlatform, mediaTypes, parseReference } from '../oci/index.js';
import type { ImageEngine, ImageSummary, ImportOptions } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import { maybeGunzip } from './maybe-gunzip.js';
import { loadDiff } from './lazy.js';
import { commitOrDiscard } from './unpack.js';
import { validateImageConfig } from './validate-image-config.js';
import { imageHostFacts } from './image-host-facts.js';
import { unpackedImageSize } from './layer-sizes.js';

/**
 * The image service: the Engine's ImageEngine without the builder's part (build, bootstrap:
 * engine.ts adds them), plus `commit`, which the builder uses to store what it made.
 */
export interface ImageService extends Omit<ImageEngine, 'build' | 'bootstrap' | 'checkReproducible'> {
  /** Stores a manifest for `config` + `layers` and points `names` at it. */
  commit(config: ImageConfig, layers: Descriptor[], names: string[]): Promise<ResolvedImage>;
  /** Stores a manifest for `config` + `layers` without naming it (nothing keeps it from the next collection). */
  store(config: ImageConfig, layers: Descriptor[]): Promise<ResolvedImage>;
  /** Points `names` (full references) at a stored manifest, in one transaction; with none, keeps the image untagged. */
  name(target: Descriptor, id: Digest, names: readonly string[]): void;
}

/** save/load and the tar machinery they use, loaded only by the commands that need them. */
const loadArchive = () => import('./image-archive.js');
const loadDistribution = () => import('./distribution.js');
const loadImageDiff = () => import('./image-diff.js');
const loadDistributionInspect = () => import('./distribution-inspect.js');

export function createImageService(ctx: EngineContext): ImageService {
  async function resolve(ref: string): Promise<ResolvedImage & { record: ImageRecord | undefined }> {
    const bareId = ref.replace(/^sha256:/, '');
    let record: ImageRecord | undefined;
    let parsed: ReturnType<typeof parseReference> | undefined;
    if (/^[a-f0-9]{64}$/.test(bareId) || !/^[a-f0-9]{4,63}$/.test(bareId)) {
      // A bad reference is an error (Docker: "invalid reference format"), unless it may be an id.
      try {
        parsed = parseReference(ref);
      } catch (err) {
        if (!/^(sha256:)?[a-f0-9]{4,64}$/.test(ref)) throw err;
      }
      record = parsed === undefined ? undefined : ctx.metadata.getImage(parsed.full);
    }
    if (!record && /^[a-f0-9]{4,64}$/.test(bareId)) {
      const matches = ctx.metadata.listImages().filter((r) => r.id.startsWith(`sha256:${bareId}`));
      const ids = new Set(matches.map((m) => m.id));
      if (ids.size > 1) throw errors.invalidArgument('AMBIGUOUS_IMAGE', `Image id prefix "${ref}" matches more than one image`);
      record = matches[0];
    }
    // dockerd's words, which scripts match on: `No such image: busybox:latest` (the reference normalized).
    if (!record) throw errors.notFound('IMAGE_NOT_FOUND', `No such image: ${parsed?.familiar ?? ref}`);
    return { ...(await resolveImage(ctx.content, record.target)), record };
  }

  async function store(config: ImageConfig, layers: Descriptor[]): Promise<ResolvedImage> {
    const configDesc = await putJson(ctx.content, mediaTypes.ociConfig, config);
    const manifest: Manifest = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: configDesc, layers };
    const target = await putJson(ctx.content, mediaTypes.ociManifest, manifest);
    return { manifestDescriptor: target, manifest, config, id: configDesc.digest };
  }

  async function commit(config: ImageConfig, layers: Descriptor[], names: string[]): Promise<ResolvedImage> {
    const image = await store(config, layers);
    nameImage(image.manifestDescriptor, image.id, names);
    return image;
  }

  /**
   * Points `names` at an image, in one transaction. With no names the image is kept untagged
   * (`<none>`, like `docker build` without -t). An image that loses its last name to this stays
   * as an untagged (dangling) image, as in Docker, until `berth rmi` or `berth system prune`.
   */
  function nameImage(target: Descriptor, id: Digest, names: readonly string[]): void {
    const now = Date.now();
    ctx.metadata.transaction(() => {
      const previous = new Set<ImageRecord>();
      for (const name of names.length > 0 ? names : [untaggedName(id)]) {
        const existing = ctx.metadata.getImage(name);
        if (existing && existing.id !== id) previous.add(existing);
        ctx.metadata.putImage({ name, target, id, createdAt: existing?.createdAt ?? now, updatedAt: now });
      }
      if (names.length > 0) ctx.metadata.deleteImage(untaggedName(id));
      // Every record is read only when a name moved off another image (a rebuild that changed it).
      const all = previous.size > 0 ? ctx.metadata.listImages() : [];
      for (const old of previous) {
        const stillNamed = all.some((r) => r.id === old.id && !names.includes(r.name) && r.name !== old.name);
        if (!stillNamed) ctx.metadata.putImage({ ...old, name: untaggedName(old.id), updatedAt: now });
      }
    });
  }

  async function importTar(tar: Readable, name: string, runtimeConfig: ImageRuntimeConfig, options: ImportOptions, op: Operation): Promise<ResolvedImage> {
    const key = `import-${randomHex(8)}`;
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
      const uncompressed = await maybeGunzip(tar, () => errors.invalidArgument('EMPTY_ARCHIVE', 'Cannot import an empty archive'));
      const applying = (await loadDiff()).applyLayer(tee, dir, { whiteouts: 'overlay', devices: 'skip', onWarning: (m) => op.warn(m), ...(op.signal ? { signal: op.signal } : {}) });
      await Promise.all([pipeline(uncompressed, tee, ...(op.signal ? [{ signal: op.signal }] : [])), applying]);
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
      config: runtimeConfig,
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      // dockerd's import history: a comment, no created_by.
      history: [{ created, comment: options.message ?? `Imported from ${options.source ?? '-'}` }],
    };
    const desc: Descriptor = { mediaType: mediaTypes.ociLayer, digest: layer.diffId, size: layer.size };
    return commit(config, [desc], [name]);
  }

  const service: ImageService = {
    resolve,
    hostFacts: async (ref) => imageHostFacts(ctx, await resolve(ref)),
    commit,
    store,
    name: nameImage,
    async diff(a, b, options = {}, op) {
      return withOperation(op, async (own) => (await loadImageDiff()).diffImages(ctx, service, a, b, options, own));
    },
    async save(refs, dest, options = {}, op) {
      return withOperation(op, async (own) => (await loadArchive()).saveImages(ctx, service, refs, dest, options, own));
    },
    async pull(name, options = {}, op) {
      return withOperation(op, async (own) => (await loadDistribution()).pullImage(ctx, service, name, options, own));
    },
    async remoteTags(name, op) {
      const ref = parseReference(name);
      if (!ctx.registry) throw errors.notImplemented('NO_REGISTRY', 'This engine was opened without registry access');
      const registry = await ctx.registry(ref.domain);
      return withOperation(op, (own) => registry.listTags(ref.path, own.signal ? { signal: own.signal } : {}));
    },
    async push(name, options = {}, op) {
      return withOperation(op, async (own) => (await loadDistribution()).pushImage(ctx, service, name, options, own));
    },
    async checkLogin(domain, credentials, op) {
      if (!ctx.registry) throw errors.notImplemented('NO_REGISTRY', 'This engine was opened without registry access');
      const registry = await ctx.registry(domain, { credentials });
      return withOperation(op, (own) => registry.checkLogin(own.signal ? { signal: own.signal } : {}));
    },
    async inspectDistribution(name, options = {}, op) {
      return withOperation(op, async (own) => (await loadDistributionInspect()).inspectDistribution(ctx, name, options, own));
    },
    async load(source, op) {
      // Blobs are stored before any image names them: hold off garbage collection.
      return withOperation(op, (own) => withLease(ctx.leases, async () => (await loadArchive()).loadImages(ctx, service, source, own), own.signal ? { signal: own.signal } : {}));
    },
    async list() {
      const byId = new Map<string, ImageSummary>();
      for (const record of ctx.metadata.listImages()) {
        let summary = byId.get(record.id);
        if (!summary) {
          let image: ResolvedImage;
          try {
            image = await resolveImage(ctx.content, record.target);
          } catch (err) {
            // One damaged image (see `berth system check`) must not hide the others.
            if (!isBerthError(err)) throw err;
            ctx.warn(`image "${displayName(record.name)}" cannot be read: ${err.message}`);
            continue;
          }
          // Docker's SIZE: the unpacked files' bytes (services/layer-sizes.ts).
          const size = await unpackedImageSize(ctx, image);
          summary = { id: record.id, names: [], created: image.config.created ?? '', size, ...(image.config.config?.Labels ? { labels: image.config.config.Labels } : {}) };
          byId.set(record.id, summary);
        }
        if (isUntagged(record.name)) continue;
        const ref = parseReference(record.name);
        if (ref.tag === undefined && ref.digest !== undefined) (summary.digests ??= []).push(ref.familiar);
        else summary.names.push(ref.familiar);
      }
      return [...byId.values()].sort((a, b) => b.created.localeCompare(a.created));
    },
    async pruneImages(options = {}) {
      const used = new Set(ctx.metadata.listContainers().map((c) => c.imageId));
      const untagged: string[] = [];
      const deleted = new Set<Digest>();
      ctx.metadata.transaction(() => {
        for (const record of ctx.metadata.listImages()) {
          if (used.has(record.id) || !(options.all === true || isUntagged(record.name))) continue;
          ctx.metadata.deleteImage(record.name);
          if (!isUntagged(record.name)) untagged.push(displayName(record.name));
          deleted.add(record.id);
        }
      });
      return { untagged, deleted: [...deleted] };
    },
    async pruneUntagged() {
      const used = new Set(ctx.metadata.listContainers().map((c) => c.imageId));
      const removed: string[] = [];
      ctx.metadata.transaction(() => {
        for (const record of ctx.metadata.listImages()) {
          if (isUntagged(record.name) && !used.has(record.id)) {
            ctx.metadata.deleteImage(record.name);
            removed.push(record.id);
          }
        }
      });
      return removed;
    },
    async import(tar, name, options = {}, op) {
      const ref = parseReference(name);
      // Changes are checked before any of the tarball is read; the builder's parser runs them.
      const changes = options.changes ?? [];
      let config: ImageRuntimeConfig = {};
      if (changes.length > 0) {
        if (!ctx.builder) throw errors.notImplemented('CHANGES_UNSUPPORTED', 'Cannot apply --change: this engine has no Dockerfile builder');
        config = (await ctx.builder()).applyChanges(config, changes);
        validateImageConfig(config);
      }
      // The layer is stored and unpacked before the image names it: hold off garbage collection.
      return withOperation(op, (own) => withLease(ctx.leases, () => importTar(tar, ref.full, config, options, own), own.signal ? { signal: own.signal } : {}));
    },
    async tag(ref, name) {
      const image = await resolve(ref);
      nameImage(image.manifestDescriptor, image.id, [parseReference(name).full]);
    },
    async remove(ref, options = {}) {
      const image = await resolve(ref);
      const byName = image.record !== undefined && !isUntagged(image.record.name) && !/^(sha256:)?[a-f0-9]{4,64}$/.test(ref) && parseReference(ref).full === image.record.name;
      const names = byName && image.record ? [image.record.name] : ctx.metadata.listImages().filter((r) => r.id === image.id).map((r) => r.name);
      let remaining = ctx.metadata.listImages().filter((r) => r.id === image.id && !names.includes(r.name));
      // Digested names (`repo@sha256:...`, from pulls and pushes) go with the image's last tag, as in Docker.
      if (remaining.every((r) => isDigestName(r.name))) {
        names.push(...remaining.map((r) => r.name));
        remaining = [];
      }
      if (remaining.length === 0 && !options.force) {
        const user = ctx.metadata.listContainers().find((c) => c.imageId === image.id);
        if (user) {
          throw errors.failedPrecondition('IMAGE_IN_USE', `Cannot remove image "${ref}": container "${user.name}" (${shortId(user.id)}) uses it`);
        }
      }
      ctx.metadata.transaction(() => names.forEach((n) => ctx.metadata.deleteImage(n)));
      return names.filter((n) => !isUntagged(n)).map(displayName);
    },
  };
  return service;
}


/** Untagged images are kept under a name that no reference can have: `<none>@<image id>`. */
function untaggedName(id: Digest): string {
  return `<none>@${id}`;
}

/** A name by digest only (`docker.io/library/busybox@sha256:...`): Docker's repo digests. */
function isDigestName(name: string): boolean {
  return !isUntagged(name) && name.includes('@') && !/:[^/@]+@/.test(name);
}

function isUntagged(name: string): boolean {
  return name.startsWith('<none>@');
}

/** How users see a stored name: `busybox:latest`, or `<none>` for an untagged image. */
function displayName(name: string): string {
  return isUntagged(name) ? '<none>' : parseReference(name).familiar;
}
