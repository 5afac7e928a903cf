/**
 * Layer trees: the files of one layer (its tar entries) or of an image (its layers folded, the
 * whiteouts applied) as metadata and a content digest, to compare two of them (`image diff`,
 * `build --check-reproducible`). Layers are read by `feedTar`, the entry reader `applyLayer`
 * uses, so PAX records, compression and corrupt tars are handled as when unpacking; nothing is
 * written anywhere.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

import { cleanEntryPath } from '../../base/index.js';
import { type EntrySink, feedTar } from './apply-layer.js';
import type { LayerEntry } from './unpacker.js';

export type NodeType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'whiteout' | 'opaque whiteout' | 'other';

export interface TreeNode {
  /** The path inside the image: `/etc/passwd`. For a whiteout, the path it deletes; for an opaque whiteout, its directory. */
  path: string;
  type: NodeType;
  /** Permission bits (`& 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Modification time in seconds. */
  mtime: number;
  /** Content bytes: of the file, or of the file a hard link names (when known). */
  size: number;
  /** A symlink's target; a hard link's target path (`/usr/bin/x`). */
  linkname: string;
  /** sha256 of the content (files; hard links, when their target is known). */
  digest?: string;
  /** Extended attributes, `name=hex` sorted and joined: compared as a whole. */
  xattrs: string;
  /** The file starts with the ELF magic (a compiled program or library). */
  elf?: boolean;
  /** The content of a regular file no larger than `keepContent` (readLayer's option). */
  content?: Buffer;
}

/** Nodes by path. */
export type Tree = Map<string, TreeNode>;

export interface ReadLayerOptions {
  /** Keep the content of regular files up to this many bytes (default 0: none). */
  keepContent?: number;
  /** How errors name the layer (its digest). */
  layerName: string;
  signal?: AbortSignal;
}

const nodeTypes: Record<string, NodeType> = {
  file: 'file', 'contiguous-file': 'file', directory: 'directory', symlink: 'symlink', link: 'hardlink',
  'character-device': 'char-device', 'block-device': 'block-device', fifo: 'fifo',
};

const pathOf = (parts: readonly string[]) => `/${parts.join('/')}`;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** What a hard link shares with the file it names. */
function linkedContent(target: TreeNode): Partial<TreeNode> {
  return { ...(target.digest !== undefined ? { digest: target.digest } : {}), size: target.size, ...(target.elf ? { elf: true } : {}), ...(target.content ? { content: target.content } : {}) };
}

/** Collects nodes from feedTar's entries; bodies are hashed, never stored unless asked for. */
class NodeCollector implements EntrySink {
  readonly nodes: TreeNode[] = [];
  readonly #byPath = new Map<string, TreeNode>();

  constructor(private readonly keepContent: number) {}

  async entry(entry: LayerEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = cleanEntryPath(entry.name) ?? [];
    const base = parts.at(-1);
    const common = {
      mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, size: 0, linkname: '',
      xattrs: entry.xattrs.map(([k, v]) => `${k}=${v.toString('hex')}`).sort().join(','),
    };
    if (base === '.wh..wh..opq') return this.#add({ ...common, path: pathOf(parts.slice(0, -1)), type: 'opaque whiteout' });
    if (base?.startsWith('.wh.') === true) return this.#add({ ...common, path: pathOf([...parts.slice(0, -1), base.slice(4)]), type: 'whiteout' });
    const type = nodeTypes[entry.type ?? ''] ?? 'other';
    const node: TreeNode = { ...common, path: pathOf(parts), type };
    if (type === 'symlink') node.linkname = entry.linkname;
    if (type === 'hardlink') {
      node.linkname = pathOf(cleanEntryPath(entry.linkname) ?? []);
      const target = this.#byPath.get(node.linkname);
      if (target?.digest !== undefined) Object.assign(node, linkedContent(target));
    }
    if (type === 'file') {
      const hash = createHash('sha256');
      const kept: Buffer[] = [];
      let size = 0;
      let head = Buffer.alloc(0);
      for await (const chunk of body) {
        hash.update(chunk);
        size += chunk.length;
        if (head.length < 4) head = Buffer.concat([head, chunk.subarray(0, 4 - head.length)]);
        if (size <= this.keepContent) kept.push(chunk);
      }
      node.size = size;
      node.digest = hash.digest('hex');
      if (head.equals(ELF)) node.elf = true;
      if (size <= this.keepContent) node.content = Buffer.concat(kept, size);
    }
    this.#add(node);
  }

  finish(): void {}

  #add(node: TreeNode): void {
    this.nodes.push(node);
    this.#byPath.set(node.path, node);
  }
}

/**
 * The nodes of one layer, in tar order (whiteouts as `whiteout`/`opaque whiteout` nodes). Errors
 * are feedTar's: dataLoss LAYER_CORRUPT for a truncated or corrupt tar, aborted LAYER_APPLY_ABORTED.
 */
export async function readLayer(input: Readable, options: ReadLayerOptions): Promise<TreeNode[]> {
  const collector = new NodeCollector(options.keepContent ?? 0);
  await feedTar(input, collector, { layerName: options.layerName, ...(options.signal ? { signal: options.signal } : {}) });
  return collector.nodes;
}

/** One layer by itself as a tree: its entries by path, whiteouts included as nodes. The root (`/`) is left out. */
export function layerTree(nodes: readonly TreeNode[]): Tree {
  const tree: Tree = new Map();
  for (const node of nodes) {
    if (node.path === '/' && node.type === 'directory') continue;
    // an opaque whiteout shares its directory's path: keep both
    tree.set(node.type === 'opaque whiteout' ? `${node.path === '/' ? '' : node.path}/.wh..wh..opq` : node.path, node);
  }
  return tree;
}

function removeUnder(tree: Tree, dir: string, keepSelf: boolean): void {
  const prefix = dir === '/' ? '/' : `${dir}/`;
  for (const path of tree.keys()) if (path.startsWith(prefix) || (!keepSelf && path === dir)) tree.delete(path);
}

/**
 * Applies one layer's nodes to an image tree, as the layer applies to a root filesystem: whiteouts
 * delete (an opaque one empties its directory of what lower layers put there), a non-directory
 * replacing a directory removes what was under it, a hard link to a lower layer's file takes its
 * content. The root (`/`) is left out.
 */
export function foldLayer(tree: Tree, nodes: readonly TreeNode[]): void {
  for (const node of nodes) {
    if (node.type === 'opaque whiteout') removeUnder(tree, node.path, true);
    else if (node.type === 'whiteout') removeUnder(tree, node.path, false);
  }
  for (const node of nodes) {
    if (node.type === 'opaque whiteout' || node.type === 'whiteout' || node.path === '/') continue;
    const old = tree.get(node.path);
    if (old?.type === 'directory' && node.type !== 'directory') removeUnder(tree, node.path, false);
    let added = node;
    if (node.type === 'hardlink' && node.digest === undefined) {
      const target = tree.get(node.linkname);
      if (target?.digest !== undefined) added = { ...node, ...linkedContent(target) };
    }
    tree.set(node.path, added);
  }
}
