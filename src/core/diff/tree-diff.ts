/**
 * compareTrees: what differs between two layer or image trees (layer-tree.ts), path by path:
 * added (only in `b`), removed (only in `a`), changed (in both, and some aspect differs). A
 * directory is compared by its own metadata only (type, mode, owner, time, xattrs), never by
 * what it holds: its children are reported for themselves.
 */
import type { NodeType, Tree, TreeNode } from './layer-tree.js';

/** What differs between two nodes at one path. */
export type ChangeAspect = 'type' | 'content' | 'mode' | 'owner' | 'mtime' | 'link target' | 'xattrs';

/** A node's metadata, as a change shows it. */
export interface NodeSummary {
  type: NodeType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname?: string;
  digest?: string;
}

export interface TreeChange {
  /** `/etc/passwd`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** For `changed`: what differs, in this order: type, content, mode, owner, mtime, link target, xattrs. */
  aspects: ChangeAspect[];
  /** The node in the first tree (removed and changed). */
  a?: NodeSummary;
  /** The node in the second tree (added and changed). */
  b?: NodeSummary;
}

const byBytes = (x: string, y: string) => Buffer.compare(Buffer.from(x), Buffer.from(y));

export function summary(node: TreeNode): NodeSummary {
  return {
    type: node.type, size: node.size, mode: node.mode, uid: node.uid, gid: node.gid, mtime: node.mtime,
    ...(node.linkname !== '' ? { linkname: node.linkname } : {}),
    ...(node.digest !== undefined ? { digest: node.digest } : {}),
  };
}

/** The aspects in which two nodes at one path differ (empty: the same). */
export function nodeAspects(a: TreeNode, b: TreeNode): ChangeAspect[] {
  const out: ChangeAspect[] = [];
  if (a.type !== b.type) out.push('type');
  // A whiteout has no metadata of its own worth naming: that it replaced something (or was replaced) is all.
  if (a.type !== b.type && [a.type, b.type].some((t) => t === 'whiteout' || t === 'opaque whiteout')) return out;
  const hasContent = a.type !== 'directory' && b.type !== 'directory';
  if (hasContent && (a.digest !== b.digest || a.size !== b.size)) out.push('content');
  if (a.mode !== b.mode) out.push('mode');
  if (a.uid !== b.uid || a.gid !== b.gid) out.push('owner');
  if (a.mtime !== b.mtime) out.push('mtime');
  if (a.linkname !== b.linkname) out.push('link target');
  if (a.xattrs !== b.xattrs) out.push('xattrs');
  return out;
}

/** The changes from tree `a` to tree `b`, sorted by path (bytewise, so parents come before their children). */
export function compareTrees(a: Tree, b: Tree): TreeChange[] {
  const out: TreeChange[] = [];
  for (const [key, x] of a) {
    const y = b.get(key);
    if (y === undefined) {
      out.push({ path: x.path, kind: 'removed', aspects: [], a: summary(x) });
      continue;
    }
    const aspects = nodeAspects(x, y);
    if (aspects.length > 0) out.push({ path: x.path, kind: 'changed', aspects, a: summary(x), b: summary(y) });
  }
  for (const [key, y] of b) if (!a.has(key)) out.push({ path: y.path, kind: 'added', aspects: [], b: summary(y) });
  return out.sort((p, q) => byBytes(p.path, q.path) || byBytes(p.kind, q.kind));
}
