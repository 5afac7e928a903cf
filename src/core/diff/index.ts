/**
 * core/diff: layer tars in and out of directories.
 *
 * - `applyLayer(input, dir, options)`: unpacks one OCI/Docker layer (plain or gzip tar) into `dir`,
 *   applying whiteouts (by deleting, or as overlayfs whiteouts for a stacked lower dir with
 *   `whiteouts: 'overlay'`), and returns its diffID and uncompressed size. Hostile layers cannot
 *   touch anything outside `dir` (entries escaping with `..` are refused with LAYER_PATH_ESCAPE;
 *   absolute names and symlinks are resolved inside `dir`). See apply-layer.ts and unpacker.ts.
 * - `writeLayer(dir, options)`: a reproducible layer tar of a directory or an overlayfs upperdir.
 * - `gzipLayer()`: deterministic gzip for layer blobs.
 * - `secureJoin(root, path)`: `path` under `root`, symlinks resolved as if `root` were `/`.
 *
 * All errors are BerthErrors with codes documented on each function.
 */
export { applyLayer, type AppliedLayer, type ApplyOptions } from './apply-layer.js';
export { gzipLayer } from './gzip-layer.js';
export { paxHeaderBlocks } from './tar-pax.js';
export { secureJoin } from '../../base/index.js';
export { writeLayer, type WriteLayerOptions } from './write-layer.js';
