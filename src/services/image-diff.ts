/**
 * `image diff A B`: the files added, removed and changed from A to B. Each side is an image (by
 * name or id: its layers folded into its whole filesystem) or one layer (by full digest, its
 * diffID or its blob: the layer's own entries, whiteouts included). Layers are read from the
 * content store through core/diff's layer reader (the one unpacking uses); nothing is unpacked or
 * mounted. With `content`, text files up to the limit get a unified diff.
 */
import type { Digest, Operation } from '../base/index.js';
import { errors, isBerthError } from '../base/index.js';
import type { Tree, TreeChange, TreeNode } from '../core/diff/index.js';
import { resolveImage } from '../core/images/index.js';
import { withLease } from '../core/metadata/index.js';
import type { DiffSide, FileChange, ImageDiff, ImageDiffOptions } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import type { ImageService } from './images.js';
import { loadDiff } from './lazy.js';

/** What `--content` shows by default: files up to 64 KiB. */
export const DEFAULT_CONTENT_LIMIT = 64 << 10;

interface ResolvedSide extends DiffSide {
  /** Blob digests, bottom first (one for a layer). */
  blobs: Digest[];
}

/** A stored layer by its diffID or blob digest: searched in the images' manifests, else any stored blob. */
async function findLayer(ctx: EngineContext, digest: Digest): Promise<{ blob: Digest; id: Digest } | undefined> {
  const seen = new Set<string>();
  for (const record of ctx.metadata.listImages()) {
    if (seen.has(record.id)) continue;
    seen.add(record.id);
    let image;
    try {
      image = await resolveImage(ctx.content, record.target);
    } catch (err) {
      if (isBerthError(err)) continue; // a damaged image is `system check`'s business
      throw err;
    }
    const diffIds = image.config.rootfs.diff_ids;
    const layers = image.manifest.layers;
    const at = diffIds.indexOf(digest);
    if (at >= 0 && layers[at] !== undefined) return { blob: layers[at].digest, id: digest };
    const byBlob = layers.findIndex((l) => l.digest === digest);
    if (byBlob >= 0) return { blob: digest, id: diffIds[byBlob] ?? digest };
  }
  // A layer no image names (the build cache's): stored uncompressed, its blob digest is its diffID.
  return (await ctx.content.has(digest)) ? { blob: digest, id: digest } : undefined;
}

export async function resolveSide(ctx: EngineContext, images: ImageService, ref: string): Promise<ResolvedSide> {
  try {
    const image = await images.resolve(ref);
    return { ref, kind: 'image', id: image.id, blobs: image.manifest.layers.map((l) => l.digest) };
  } catch (err) {
    if (!isBerthError(err) || err.code !== 'BERTH_E_IMAGE_NOT_FOUND') throw err;
  }
  const digest = /^(sha256:)?([a-f0-9]{64})$/.exec(ref);
  const layer = digest ? await findLayer(ctx, `sha256:${digest[2] as string}`) : undefined;
  if (!layer) throw errors.notFound('IMAGE_NOT_FOUND', `No such image or layer: "${ref}"`, { hint: 'Name an image (name or id) or a layer by its full digest (berth image inspect -f \'{{json .RootFS.Layers}}\' IMAGE lists them)' });
  return { ref, kind: 'layer', id: layer.id, blobs: [layer.blob] };
}

/** The tree of a side: an image's folded filesystem, or a layer's own entries. */
export async function sideTree(ctx: EngineContext, side: ResolvedSide, options: { keepContent?: number; signal?: AbortSignal }): Promise<Tree> {
  const diff = await loadDiff();
  const read = async (blob: Digest): Promise<TreeNode[]> => {
    try {
      return await diff.readLayer(ctx.content.createReadStream(blob), { layerName: blob, ...options });
    } catch (err) {
      if (isBerthError(err) || (err as { code?: unknown }).code !== 'ENOENT') throw err;
      throw errors.notFound('BLOB_NOT_FOUND', `Layer "${blob}" of "${side.ref}" is not stored`, { cause: err });
    }
  };
  if (side.kind === 'layer') return diff.layerTree(await read(side.blobs[0] as Digest));
  const tree: Tree = new Map();
  for (const blob of side.blobs) diff.foldLayer(tree, await read(blob));
  return tree;
}

const isFile = (t: string | undefined) => t === 'file' || t === 'hardlink';

/** Adds a unified diff (or why none) to each change that touches the content of a file. */
async function withContent(change: TreeChange, a: Tree, b: Tree, limit: number): Promise<FileChange> {
  const { isText, unifiedDiff } = await loadDiff();
  const contentChanged = change.kind !== 'changed' || change.aspects.includes('content');
  const types = [change.a?.type, change.b?.type].filter((t) => t !== undefined);
  if (!contentChanged || !types.some(isFile)) return change;
  if (!types.every(isFile)) return { ...change, diffSkipped: 'not a regular file on both sides' };
  const key = (tree: Tree) => tree.get(change.path);
  const sides = [change.a ? key(a) : undefined, change.b ? key(b) : undefined];
  const texts: string[] = [];
  for (const node of sides) {
    if (node === undefined) {
      texts.push('');
      continue;
    }
    if (node.size > limit) return { ...change, diffSkipped: `larger than ${limit >= 1024 ? `${limit / 1024} KiB` : `${limit} bytes`}` };
    if (node.content === undefined) return { ...change, diffSkipped: 'content not available (a hard link to a file outside the layer)' };
    if (!isText(node.content)) return { ...change, diffSkipped: 'binary' };
    texts.push(node.content.toString('utf8'));
  }
  const nameA = change.a ? `a${change.path}` : '/dev/null';
  const nameB = change.b ? `b${change.path}` : '/dev/null';
  const diff = unifiedDiff(texts[0] ?? '', texts[1] ?? '', nameA, nameB);
  return diff === '' ? change : { ...change, diff };
}

export async function diffImages(ctx: EngineContext, images: ImageService, refA: string, refB: string, options: ImageDiffOptions, op: Operation): Promise<ImageDiff> {
  const limit = options.contentLimit ?? DEFAULT_CONTENT_LIMIT;
  const signalOpt = op.signal ? { signal: op.signal } : {};
  // No collection while the layers are read: an image removed meanwhile keeps its blobs until we are done.
  return withLease(ctx.leases, async () => {
    const a = await resolveSide(ctx, images, refA);
    const b = await resolveSide(ctx, images, refB);
    const side = ({ blobs: _blobs, ...rest }: ResolvedSide): DiffSide => rest;
    if (a.kind === b.kind && a.id === b.id) return { a: side(a), b: side(b), changes: [] };
    const read = { ...(options.content ? { keepContent: limit } : {}), ...signalOpt };
    const [treeA, treeB] = await Promise.all([sideTree(ctx, a, read), sideTree(ctx, b, read)]);
    const { compareTrees } = await loadDiff();
    const changes: FileChange[] = compareTrees(treeA, treeB);
    const out = options.content ? await Promise.all(changes.map((c) => withContent(c, treeA, treeB, limit))) : changes;
    return { a: side(a), b: side(b), changes: out };
  }, signalOpt);
}
