/**
 * `save` and `load`: images in Docker's archive format and as OCI image layouts.
 *
 * What `save` writes (Docker 25's layout, which is at once Docker's archive and an OCI layout):
 *
 *   blobs/sha256/<hex>   every manifest, config and layer blob, once however many images share it
 *   oci-layout           {"imageLayoutVersion": "1.0.0"}
 *   index.json           an OCI index: one entry per name (`io.containerd.image.name`, and the tag
 *                        as `org.opencontainers.image.ref.name`), one without annotations for an
 *                        image saved by id
 *   manifest.json        Docker's list: Config, RepoTags, Layers (paths into blobs/)
 *   repositories         Docker's v1 map repository → tag → top layer
 *
 * `oci-archive`/`oci-dir` write the first three only. Blobs are the stored ones, byte for byte,
 * so the manifests keep their digests.
 *
 * `load` takes those, Docker's older archives (`<v1 id>/layer.tar`, `<config hex>.json`,
 * manifest.json: Docker before 25, Podman's docker-archive) and OCI layouts (skopeo's), as a tar
 * (gzipped or not) or a layout directory. The archive is never extracted to disk: each regular
 * file under `blobs/sha256/` is streamed into the content store and committed only when its bytes
 * match its name; other files are held in memory (small) or stored under the digest they have
 * (legacy layers). Names with `..`, absolute names, links that leave the archive or form loops,
 * and devices are refused. Every image is then checked (manifest and config valid, every blob
 * present, every layer's uncompressed digest equal to the config's diffID) before any is named;
 * the whole load holds a lease, so garbage collection leaves its blobs alone meanwhile, and a
 * failed load names nothing (its blobs are reclaimable leftovers, as an interrupted import's).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Writable } from 'node:stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import tar from 'tar-stream';

import type { Digest, Operation } from '../base/index.js';
import { digestHex, errnoCode, errors, isBerthError, isDigest } from '../base/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { resolveImage, validateManifest } from '../core/images/index.js';
import type { Descriptor, ImageConfig, ImageIndex, Manifest } from '../oci/index.js';
import { isIndexMediaType, isManifestMediaType, layerCompression, mediaTypes, parseReference, selectManifest } from '../oci/index.js';
import type { LoadResult, SaveOptions } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import { maybeGunzip } from './maybe-gunzip.js';
import type { ImageService } from './images.js';
import { loadDiff } from './lazy.js';

/** Manifests, indexes and configs larger than this are refused (registries use 4 MiB for manifests). */
const maxDocumentSize = 8 << 20;
const maxLinkDepth = 16;

interface SavedImage {
  image: ResolvedImage;
  /** Full names (`docker.io/library/busybox:latest`). */
  names: string[];
}

/** The images `refs` name, each once (names merged), in the order first named. */
async function imagesToSave(images: ImageService, refs: readonly string[]): Promise<SavedImage[]> {
  const byManifest = new Map<string, SavedImage>();
  for (const ref of refs) {
    const image = await images.resolve(ref);
    const byName = image.record !== undefined && !image.record.name.startsWith('<none>@') && !/^(sha256:)?[a-f0-9]{4,64}$/.test(ref);
    let saved = byManifest.get(image.manifestDescriptor.digest);
    if (!saved) byManifest.set(image.manifestDescriptor.digest, (saved = { image, names: [] }));
    if (byName && image.record && !saved.names.includes(image.record.name)) saved.names.push(image.record.name);
  }
  return [...byManifest.values()];
}

function blobPath(digest: Digest): string {
  return `blobs/sha256/${digestHex(digest)}`;
}

/** The index.json of a layout holding `images`. */
function layoutIndex(images: readonly SavedImage[]): ImageIndex {
  const manifests: Descriptor[] = [];
  for (const { image, names } of images) {
    const { mediaType, digest, size } = image.manifestDescriptor;
    if (names.length === 0) manifests.push({ mediaType, digest, size });
    for (const name of names) {
      const ref = parseReference(name);
      manifests.push({
        mediaType, digest, size,
        annotations: { 'io.containerd.image.name': name, ...(ref.tag !== undefined ? { 'org.opencontainers.image.ref.name': ref.tag } : {}) },
      });
    }
  }
  return { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests };
}

/** Docker's manifest.json and repositories for `images`. */
function dockerFiles(images: readonly SavedImage[]): { manifest: unknown; repositories: Record<string, Record<string, string>> } {
  const repositories: Record<string, Record<string, string>> = {};
  const manifest = images.map(({ image, names }) => {
    const tags = names.map((n) => parseReference(n)).filter((r) => r.tag !== undefined && r.digest === undefined);
    const top = image.manifest.layers[image.manifest.layers.length - 1];
    for (const ref of tags) {
      const repo = ref.familiar.slice(0, ref.familiar.length - (ref.tag as string).length - 1);
      if (top) (repositories[repo] ??= {})[ref.tag as string] = digestHex(top.digest);
    }
    return { Config: blobPath(image.manifest.config.digest), RepoTags: tags.length > 0 ? tags.map((r) => r.familiar) : null, Layers: image.manifest.layers.map((l) => blobPath(l.digest)) };
  });
  return { manifest, repositories };
}

/** Every blob of `images`, once, with its size: manifests, configs, layers. */
function blobsOf(images: readonly SavedImage[]): Map<Digest, number> {
  const blobs = new Map<Digest, number>();
  for (const { image } of images) {
    for (const d of image.manifest.layers) blobs.set(d.digest, d.size);
    blobs.set(image.manifest.config.digest, image.manifest.config.size);
    blobs.set(image.manifestDescriptor.digest, image.manifestDescriptor.size);
  }
  return blobs;
}

export async function saveImages(ctx: EngineContext, images: ImageService, refs: readonly string[], dest: { stream: Writable } | { dir: string }, options: SaveOptions, op: Operation): Promise<void> {
  const format = options.format ?? 'docker';
  if (refs.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', 'Cannot save: no image named');
  if ((format === 'oci-dir') !== ('dir' in dest)) {
    throw errors.invalidArgument('SAVE_DESTINATION', format === 'oci-dir' ? 'Cannot save as oci-dir: give a directory (-o DIR)' : `Cannot save as ${format} into a directory: use --format oci-dir`);
  }
  const saved = await imagesToSave(images, refs);
  const blobs = blobsOf(saved);
  for (const [digest] of blobs) {
    if (!(await ctx.content.has(digest))) throw errors.dataLoss('BLOB_NOT_FOUND', `Cannot save: blob "${digest}" is missing from the store (see berth system check)`);
  }
  const files: [string, Buffer][] = [
    ['index.json', Buffer.from(JSON.stringify(layoutIndex(saved)))],
    ['oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))],
  ];
  if (format === 'docker') {
    const { manifest, repositories } = dockerFiles(saved);
    files.push(['manifest.json', Buffer.from(JSON.stringify(manifest))], ['repositories', Buffer.from(JSON.stringify(repositories))]);
  }
  if ('dir' in dest) {
    await saveDirectory(ctx, dest.dir, blobs, files, op);
    return;
  }
  const pack = tar.pack();
  const written = pipeline(Readable.from(pack, { objectMode: false }), dest.stream, { end: false, ...(op.signal ? { signal: op.signal } : {}) });
  written.catch(() => undefined);
  const entry = (header: Partial<tar.Header> & { name: string }, body: Buffer) => new Promise<void>((resolve, reject) => pack.entry(header, body, (err) => (err ? reject(err) : resolve())));
  const mtime = new Date(0);
  try {
    await entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime }, Buffer.alloc(0));
    await entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime }, Buffer.alloc(0));
    for (const [digest, size] of [...blobs].sort(([a], [b]) => a.localeCompare(b))) {
      const done = new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name: blobPath(digest), size, mode: 0o644, mtime }, (err) => (err ? reject(err) : resolve()));
        pipeline(ctx.content.createReadStream(digest), sink as unknown as NodeJS.WritableStream).catch(reject);
      });
      await Promise.race([done, written]);
    }
    for (const [name, body] of files) await Promise.race([entry({ name, size: body.length, mode: 0o644, mtime }, body), written]);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => undefined);
    throw err;
  }
  await written;
}

async function saveDirectory(ctx: EngineContext, dir: string, blobs: Map<Digest, number>, files: [string, Buffer][], op: Operation): Promise<void> {
  try {
    if (readdirSync(dir).length > 0) throw errors.alreadyExists('SAVE_DIRECTORY_NOT_EMPTY', `Cannot save into "${dir}": the directory is not empty`);
  } catch (err) {
    if (errnoCode(err) === 'ENOTDIR') throw errors.invalidArgument('SAVE_DESTINATION', `Cannot save into "${dir}": not a directory`);
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const [digest] of blobs) {
    await pipeline(ctx.content.createReadStream(digest), createWriteStream(join(dir, blobPath(digest)), { flags: 'wx' }), ...(op.signal ? [{ signal: op.signal }] : []));
  }
  for (const [name, body] of files) writeFileSync(join(dir, name), body, { flag: 'wx' });
}

// ---------------------------------------------------------------------------------------------
// load

/** One file of the archive, as `load` read it. */
type ArchiveFile = { kind: 'blob'; digest: Digest; size: number } | { kind: 'data'; data: Buffer } | { kind: 'link'; target: string };

/** What `load` read: every file by its cleaned name. */
class ArchiveFiles {
  readonly files = new Map<string, ArchiveFile>();

  constructor(private readonly ctx: EngineContext) {}

  /** The file `name` names, links followed (inside the archive only). */
  resolve(name: string, what: string): Exclude<ArchiveFile, { kind: 'link' }> & { name: string } {
    let current = cleanName(name, what);
    for (let depth = 0; depth < maxLinkDepth; depth++) {
      const file = this.files.get(current);
      if (!file) throw errors.invalidArgument('LOAD_FILE_MISSING', `Cannot load: the archive has no "${current}" (${what})`);
      if (file.kind !== 'link') return { ...file, name: current };
      current = file.target;
    }
    throw errors.invalidArgument('LOAD_LINK_LOOP', `Cannot load: "${name}" (${what}) is a chain of more than ${maxLinkDepth} links`);
  }

  /** A small file's bytes (a JSON document). */
  async document(name: string, what: string): Promise<Buffer> {
    const file = this.resolve(name, what);
    if (file.kind === 'data') return file.data;
    if (file.size > maxDocumentSize) throw errors.invalidArgument('LOAD_DOCUMENT_TOO_LARGE', `Cannot load: "${file.name}" (${what}) is larger than ${maxDocumentSize} bytes`);
    return this.ctx.content.read(file.digest);
  }

  async json(name: string, what: string): Promise<unknown> {
    const data = await this.document(name, what);
    try {
      return JSON.parse(data.toString('utf8'));
    } catch (err) {
      throw errors.invalidArgument('LOAD_INVALID_JSON', `Cannot load: "${name}" (${what}) is not valid JSON`, { cause: err });
    }
  }

  /** Stores a file (if it is not yet) and returns its digest. */
  async store(name: string, what: string): Promise<Digest> {
    const file = this.resolve(name, what);
    if (file.kind === 'blob') return file.digest;
    const info = await this.ctx.content.put(file.data);
    this.files.set(file.name, { kind: 'blob', digest: info.digest, size: info.size });
    return info.digest;
  }
}

/** An archive member's name, cleaned (`./x` → `x`), refused when absolute or climbing out with `..`. */
function cleanName(name: string, what = 'entry'): string {
  const cleaned = posix.normalize(name.replace(/\/+$/, ''));
  if (name.startsWith('/') || cleaned === '..' || cleaned.startsWith('../') || name.includes('\0')) {
    throw errors.invalidArgument('LOAD_PATH_ESCAPE', `Cannot load: archive ${what} "${name}" leads outside the archive`);
  }
  return cleaned === '.' ? '' : cleaned;
}

/** Where a link entry `name` → `linkname` points, inside the archive (symlinks are relative to their directory, hard links to the root). */
function linkTarget(name: string, linkname: string, hard: boolean): string {
  if (linkname.startsWith('/')) throw errors.invalidArgument('LOAD_PATH_ESCAPE', `Cannot load: archive link "${name}" points to the absolute path "${linkname}"`);
  const joined = hard ? linkname : posix.join(posix.dirname(name), linkname);
  const target = posix.normalize(joined);
  if (target === '..' || target.startsWith('../')) throw errors.invalidArgument('LOAD_PATH_ESCAPE', `Cannot load: archive link "${name}" → "${linkname}" leads outside the archive`);
  return target;
}

/** A file is a blob to verify by its name when it lies at `blobs/sha256/<hex>`. */
function digestFromName(name: string): Digest | undefined {
  const m = /^blobs\/([^/]+)\/([^/]+)$/.exec(name);
  if (!m) return undefined;
  const digest = `${m[1]}:${m[2]}`;
  if (!isDigest(digest)) throw errors.invalidArgument('LOAD_UNSUPPORTED_DIGEST', `Cannot load: "${name}" is not named by a sha256 digest`);
  return digest;
}

async function readEntry(ctx: EngineContext, files: ArchiveFiles, name: string, size: number, body: AsyncIterable<Buffer>): Promise<void> {
  const expected = digestFromName(name);
  if (expected === undefined && size <= maxDocumentSize) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    files.files.set(name, { kind: 'data', data: Buffer.concat(chunks) });
    return;
  }
  const writer = await ctx.content.writer();
  try {
    for await (const chunk of body) await writer.write(chunk);
    if (writer.size !== size) throw errors.dataLoss('LOAD_TRUNCATED', `Cannot load: "${name}" ends after ${writer.size} of ${size} bytes`);
    const info = await writer.commit(expected ? { digest: expected, size } : { size });
    files.files.set(name, { kind: 'blob', digest: info.digest, size: info.size });
  } catch (err) {
    await writer.abort();
    if (isBerthError(err) && err.code === 'BERTH_E_BLOB_DIGEST_MISMATCH') {
      throw errors.dataLoss('LOAD_DIGEST_MISMATCH', `Cannot load: "${name}" does not match its digest`, { cause: err });
    }
    throw err;
  }
}

function addLink(files: ArchiveFiles, name: string, linkname: string, hard: boolean): void {
  files.files.set(name, { kind: 'link', target: linkTarget(name, linkname, hard) });
}

/** Reads a tar (gzipped or not) into `files`. */
async function readTar(ctx: EngineContext, input: Readable, files: ArchiveFiles, signal: AbortSignal | undefined): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(await maybeGunzip(input, () => errors.invalidArgument('LOAD_EMPTY', 'Cannot load: the input is empty')), extract, ...(signal ? [{ signal }] : []));
  feeding.catch(() => undefined);
  let entries = 0;
  // iterated by hand: a for-await loop would wait, on error, for the extract stream to close (see core/diff apply-layer.ts)
  const iterator = extract[Symbol.asyncIterator]();
  try {
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      const entry = next.value;
      entries++;
      const h = entry.header;
      const name = cleanName(h.name);
      switch (h.type) {
        case 'file':
        case 'contiguous-file':
          await readEntry(ctx, files, name, h.size ?? 0, entry as unknown as AsyncIterable<Buffer>);
          break;
        case 'symlink':
        case 'link':
          addLink(files, name, h.linkname ?? '', h.type === 'link');
          entry.resume();
          break;
        case 'directory':
          entry.resume();
          break;
        default:
          throw errors.invalidArgument('LOAD_ENTRY_TYPE', `Cannot load: archive entry "${h.name}" is a ${h.type ?? 'unknown'} entry; an image archive holds only files, directories and links`);
      }
    }
  } catch (err) {
    extract.destroy();
    throw tarError(err);
  }
  await feeding.catch((err: unknown) => {
    throw tarError(err);
  });
  if (entries === 0) throw errors.invalidArgument('LOAD_EMPTY', 'Cannot load: the archive is empty');
}

function tarError(err: unknown): unknown {
  if (isBerthError(err)) return err;
  if (err instanceof Error && err.name === 'AbortError') return errors.aborted('ABORTED', 'The load was cancelled');
  const message = err instanceof Error ? err.message : String(err);
  return errors.invalidArgument('LOAD_INVALID_ARCHIVE', `Cannot load: the input is not a valid tar archive (${message})`, { cause: err });
}

/** Reads an OCI layout directory into `files`; links in it are refused. */
async function readDirectory(ctx: EngineContext, dir: string, files: ArchiveFiles): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(join(dir, path));
      if (st.isDirectory()) await walk(path);
      else if (st.isFile()) await readEntry(ctx, files, path, st.size, createReadStream(join(dir, path)));
      else throw errors.invalidArgument('LOAD_ENTRY_TYPE', `Cannot load "${join(dir, path)}": an OCI layout directory holds only files and directories`);
    }
  };
  try {
    await walk('');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw errors.notFound('LOAD_SOURCE_NOT_FOUND', `Cannot load "${dir}": no such directory`);
    throw err;
  }
}

/** An image found in the archive, before it is checked and named. */
interface FoundImage {
  target: Descriptor;
  names: Set<string>;
}

/** Images listed by index.json (OCI layouts, Docker 25+): nested indexes resolved to the host's platform. */
async function imagesFromIndex(files: ArchiveFiles): Promise<FoundImage[]> {
  const index = (await files.json('index.json', 'the layout index')) as ImageIndex;
  if (typeof index !== 'object' || index === null || !Array.isArray(index.manifests)) throw errors.invalidArgument('LOAD_INVALID_INDEX', 'Cannot load: index.json has no list of manifests');
  const found = new Map<string, FoundImage>();
  for (const desc of index.manifests) {
    let target: Descriptor | undefined = desc;
    for (let depth = 0; target && isIndexMediaType(target.mediaType); depth++) {
      if (depth > 4) throw errors.invalidArgument('LOAD_INVALID_INDEX', 'Cannot load: indexes nested too deep');
      const nested = (await files.json(blobPath(target.digest), `index ${target.digest}`)) as ImageIndex;
      target = Array.isArray(nested.manifests) ? selectManifest(nested) : undefined;
    }
    if (!target || !isManifestMediaType(target.mediaType)) continue;
    const image = found.get(target.digest) ?? { target: { mediaType: target.mediaType, digest: target.digest, size: target.size }, names: new Set<string>() };
    found.set(target.digest, image);
    const name = desc.annotations?.['io.containerd.image.name'] ?? desc.annotations?.['org.opencontainers.image.ref.name'];
    if (name !== undefined) {
      try {
        // A bare tag (`latest`, as skopeo writes ref.name) names no repository: it is not an image name.
        if (name.includes('/') || name.includes(':') || desc.annotations?.['io.containerd.image.name'] !== undefined) image.names.add(parseReference(name).full);
      } catch {
        // not a reference: no name from it
      }
    }
  }
  return [...found.values()];
}

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

/** Images listed by Docker's manifest.json: each becomes an OCI manifest over the stored config and layers. */
async function imagesFromDockerManifest(ctx: EngineContext, files: ArchiveFiles, entries: DockerManifestEntry[]): Promise<FoundImage[]> {
  const found: FoundImage[] = [];
  for (const entry of entries) {
    if (typeof entry?.Config !== 'string' || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === 'string')) {
      throw errors.invalidArgument('LOAD_INVALID_MANIFEST', 'Cannot load: an entry of manifest.json lacks Config or Layers');
    }
    const configData = await files.document(entry.Config, 'image config');
    const configDigest = await files.store(entry.Config, 'image config');
    let config: ImageConfig;
    try {
      config = JSON.parse(configData.toString('utf8')) as ImageConfig;
    } catch (err) {
      throw errors.invalidArgument('LOAD_INVALID_JSON', `Cannot load: "${entry.Config}" is not valid JSON`, { cause: err });
    }
    const diffIds = config?.rootfs?.diff_ids;
    if (!Array.isArray(diffIds) || diffIds.length !== entry.Layers.length) {
      throw errors.invalidArgument('LOAD_INVALID_MANIFEST', `Cannot load: config "${entry.Config}" lists ${Array.isArray(diffIds) ? diffIds.length : 'no'} layers where manifest.json lists ${entry.Layers.length}`);
    }
    const layers: Descriptor[] = [];
    for (const path of entry.Layers) {
      const digest = await files.store(path, 'layer');
      const size = (await ctx.content.info(digest)).size;
      const kind = await blobCompression(ctx, digest);
      layers.push({ mediaType: kind === 'gzip' ? mediaTypes.ociLayerGzip : kind === 'zstd' ? mediaTypes.ociLayerZstd : mediaTypes.ociLayer, digest, size });
    }
    const manifest: Manifest = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: configDigest, size: configData.length }, layers };
    const body = Buffer.from(JSON.stringify(manifest));
    const info = await ctx.content.put(body);
    const names = new Set<string>();
    for (const tag of entry.RepoTags ?? []) names.add(parseReference(tag).full);
    found.push({ target: { mediaType: mediaTypes.ociManifest, digest: info.digest, size: info.size }, names });
  }
  return found;
}

/** How a blob is compressed, as its first bytes say. */
async function blobCompression(ctx: EngineContext, digest: Digest): Promise<'none' | 'gzip' | 'zstd'> {
  for await (const chunk of ctx.content.createReadStream(digest)) {
    const head = chunk as Buffer;
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    return head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528 ? 'zstd' : 'none';
  }
  return 'none';
}

/**
 * The sha256 of a layer's uncompressed tar. Compression is told by the bytes (as dockerd does),
 * since dockerd labels uncompressed layers it reuses as gzip.
 */
async function uncompressedDigest(ctx: EngineContext, desc: Descriptor): Promise<Digest> {
  // a stored blob's digest is its content's: the content store verified it at commit
  if ((await blobCompression(ctx, desc.digest)) === 'none') return desc.digest;
  const hash = createHash('sha256');
  try {
    await (await loadDiff()).drainDecompressed(ctx.content.createReadStream(desc.digest), desc.digest, (chunk) => hash.update(chunk));
  } catch (err) {
    if (isBerthError(err, 'NotImplemented')) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw errors.dataLoss('LAYER_INVALID_COMPRESSION', `Cannot load layer "${desc.digest}": it is not valid ${layerCompression(desc.mediaType) ?? 'compressed data'} (${message})`, { cause: err });
  }
  return `sha256:${hash.digest('hex')}`;
}

/** Checks an image before it is named: manifest and config valid, every blob stored, every layer's diffID right. */
async function checkImage(ctx: EngineContext, target: Descriptor, verified: Set<string>): Promise<ResolvedImage> {
  if (!(await ctx.content.has(target.digest))) throw errors.invalidArgument('LOAD_FILE_MISSING', `Cannot load: the archive lacks manifest "${target.digest}"`);
  validateManifest(JSON.parse((await ctx.content.read(target.digest)).toString('utf8')) as unknown, target.digest);
  const manifest = JSON.parse((await ctx.content.read(target.digest)).toString('utf8')) as Manifest;
  if (!(await ctx.content.has(manifest.config.digest))) throw errors.invalidArgument('LOAD_FILE_MISSING', `Cannot load: the archive lacks config "${manifest.config.digest}"`);
  const image = await resolveImage(ctx.content, target);
  for (const [i, layer] of image.manifest.layers.entries()) {
    if (!(await ctx.content.has(layer.digest))) throw errors.invalidArgument('LOAD_FILE_MISSING', `Cannot load: the archive lacks layer "${layer.digest}"`);
    const diffId = image.config.rootfs.diff_ids[i] as Digest;
    const key = `${layer.digest} ${diffId}`;
    if (verified.has(key)) continue;
    const actual = await uncompressedDigest(ctx, layer);
    if (actual !== diffId) throw errors.dataLoss('LAYER_DIFFID_MISMATCH', `Cannot load: layer "${layer.digest}" is "${actual}" uncompressed, but the image config says "${diffId}"`);
    verified.add(key);
  }
  return image;
}

export async function loadImages(ctx: EngineContext, images: ImageService, source: { stream: Readable } | { dir: string }, op: Operation): Promise<LoadResult> {
  const files = new ArchiveFiles(ctx);
  if ('dir' in source) await readDirectory(ctx, source.dir, files);
  else await readTar(ctx, source.stream, files, op.signal);
  op.signal?.throwIfAborted();

  let found: FoundImage[];
  const dockerManifest = files.files.has('manifest.json') ? await files.json('manifest.json', "Docker's image list") : undefined;
  if (files.files.has('index.json')) {
    found = await imagesFromIndex(files);
    // Docker 25+ names its images in manifest.json too; older tools only there.
    if (Array.isArray(dockerManifest)) {
      for (const entry of dockerManifest as DockerManifestEntry[]) {
        const config = typeof entry?.Config === 'string' ? /^blobs\/sha256\/([a-f0-9]{64})$/.exec(cleanName(entry.Config)) : null;
        if (!config) continue;
        for (const image of found) {
          const manifest = JSON.parse((await files.document(blobPath(image.target.digest), 'manifest')).toString('utf8')) as Manifest;
          if (manifest.config?.digest === `sha256:${config[1]}`) for (const tag of entry.RepoTags ?? []) image.names.add(parseReference(tag).full);
        }
      }
    }
  } else if (Array.isArray(dockerManifest)) {
    found = await imagesFromDockerManifest(ctx, files, dockerManifest as DockerManifestEntry[]);
  } else {
    throw errors.invalidArgument('LOAD_UNKNOWN_FORMAT', 'Cannot load: the archive has neither index.json (an OCI layout) nor manifest.json (a Docker archive)');
  }
  if (found.length === 0) throw errors.invalidArgument('LOAD_NO_IMAGES', 'Cannot load: the archive holds no image for this platform');

  const verified = new Set<string>();
  const checked: { image: ResolvedImage; names: string[] }[] = [];
  for (const f of found) {
    const size = f.target.size;
    if (size > maxDocumentSize) throw errors.invalidArgument('LOAD_DOCUMENT_TOO_LARGE', `Cannot load: manifest "${f.target.digest}" is larger than ${maxDocumentSize} bytes`);
    checked.push({ image: await checkImage(ctx, f.target, verified), names: [...f.names] });
  }
  op.signal?.throwIfAborted();
  const result: LoadResult = { images: [] };
  for (const { image, names } of checked) {
    images.name(image.manifestDescriptor, image.id, names);
    if (names.length === 0) result.images.push({ id: image.id });
    for (const name of names) result.images.push({ name: parseReference(name).familiar, id: image.id });
  }
  return result;
}


