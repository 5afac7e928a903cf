/**
 * core/diff: layer tars in and out of directories.
 *
 * - `applyLayer(input, dir, options)`: unpacks one OCI/Docker layer (plain, gzip or zstd tar) into `dir`,
 *   applying whiteouts (by deleting, or as overlayfs whiteouts for a stacked lower dir with
 *   `whiteouts: 'overlay'`), and returns its diffID and uncompressed size. Hostile layers cannot
 *   touch anything outside `dir` (entries escaping with `..` are refused with LAYER_PATH_ESCAPE;
 *   absolute names and symlinks are resolved inside `dir`). See apply-layer.ts and unpacker.ts.
 * - `writeLayer(dir, options)`: a reproducible layer tar of a directory or an overlayfs upperdir.
 * - `gzipLayer()`: deterministic gzip for layer blobs.
 * - `decompress(input, name)` / `drainDecompressed`: a layer blob's tar, decompressed as its bytes
 *   say (gzip through unpigz when installed, else zlib; zstd through the zstd program).
 * - `archiveInRoot(root, path, options)` / `statInRoot`: a tar (or a stat) of a path inside a root
 *   that a running container may be changing, every look-up done relative to fds (openat2
 *   RESOLVE_IN_ROOT, O_NOFOLLOW): no symlink in the root can make it read a host file. For `cp`, `export`.
 * - `extractInRoot(input, root, dest, options)`: `cp`'s extraction, every write through fds of the
 *   root (sys/in-root.ts), `..` escapes refused. See extract-in-root.ts.
 * - `readLayer(input, options)`, `layerTree(nodes)`, `foldLayer(tree, nodes)`: a layer's files (metadata and
 *   content digests, whiteouts as nodes) read through `feedTar`, one layer as a tree, or an image's
 *   layers folded into its file tree; `compareTrees(a, b)`: what was added, removed and changed
 *   between two trees, and in which aspects (type, content, mode, owner, mtime, link target, xattrs);
 *   `unifiedDiff(a, b, nameA, nameB)`, `isText`: `diff -u` of two texts. For `image diff` and
 *   `build --check-reproducible`.
 * - `secureJoin(root, path)`: `path` under `root`, symlinks resolved as if `root` were `/`.
 *
 * All errors are BerthErrors with codes documented on each function.
 */
export { applyLayer, type AppliedLayer, type ApplyOptions } from './apply-layer.js';
export { archiveInRoot, statInRoot, type ArchiveOptions, type PathStat } from './archive-in-root.js';
export { containerChanges, type Change } from './changes.js';
export { extractInRoot, type ExtractOptions } from './extract-in-root.js';
export { gzipLayer } from './gzip-layer.js';
export { decompress, drainDecompressed, findProgram, type Compression } from './decompress.js';
export { paxHeaderBlocks } from './tar-pax.js';
export { secureJoin } from '../../base/index.js';
export { foldLayer, layerTree, readLayer, type NodeType, type ReadLayerOptions, type Tree, type TreeNode } from './layer-tree.js';
export { compareTrees, nodeAspects, summary, type ChangeAspect, type NodeSummary, type TreeChange } from './tree-diff.js';
export { isText, unifiedDiff, type UnifiedDiffOptions } from './unified-diff.js';
export { writeLayer, type WriteLayerOptions } from './write-layer.js';
