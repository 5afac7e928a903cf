import type { Transform } from 'node:stream';
import { constants, createGzip } from 'node:zlib';

/**
 * gzip for layer blobs with fixed settings, so the same tar always gives the same blob: level 6
 * (zlib's and Go's default: what docker and buildkit produce), windowBits 15, memLevel 8, default
 * strategy; zlib writes mtime 0 and no file name in the gzip header. Output is stable for a given
 * zlib version (the one bundled with Node); the diffID, not the blob digest, identifies content.
 */
export function gzipLayer(): Transform {
  return createGzip({ level: 6, windowBits: 15, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY });
}
