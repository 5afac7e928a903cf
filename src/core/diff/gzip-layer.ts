import { Duplex } from 'node:stream';
import type { DeflateRaw } from 'node:zlib';
import { constants, crc32, createDeflateRaw } from 'node:zlib';

/** Input is looked at in blocks of this size; each is deflated at level 6, or stored. */
const BLOCK = 1 << 20;
/** Sampled byte entropy (bits per byte) from which a block is taken as incompressible. */
const INCOMPRESSIBLE_BITS = 7.9;

/**
 * gzip for layer blobs with fixed settings, so the same tar always gives the same blob:
 * windowBits 15, memLevel 8, default strategy; zlib writes mtime 0 and no file name in the gzip
 * header. Output is stable for a given zlib version (the one bundled with Node); the diffID, not
 * the blob digest, identifies content.
 *
 * The level is 6 (zlib's and Go's default, what docker and buildkit produce), except for 1 MiB
 * blocks of the tar that look incompressible — already compressed files, random bytes — which are
 * stored (level 0). zlib spends as long on such a block as on text and saves nothing (80 MB of
 * random bytes: 1.6 s at level 6, 0.16 s stored, the same size within 0.02%), where Go's deflate,
 * dockerd's, notices. The choice depends on the block's bytes only (a sample of them), so the blob
 * is as deterministic as before.
 */
export function gzipLayer(): Duplex {
  // A raw deflate stream in zlib's gzip framing: Node applies params() to Deflate and DeflateRaw
  // only, not to Gzip. The header is the one zlib writes (no mtime, no name, XFL 0, OS 3), so a
  // layer with no stored block is the very blob createGzip({ level: 6 }) gave.
  const deflate = createDeflateRaw({ level: 6, windowBits: 15, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY });
  let crc = 0;
  let size = 0;
  let level = 6;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  // One block at a time, each after the level change it needs has taken effect: the same calls
  // in the same order whatever the input's chunking, so the same output.
  const writeBlock = async (block: Buffer) => {
    const want = looksIncompressible(block) ? 0 : 6;
    if (want !== level) {
      level = want;
      await new Promise<void>((resolve) => deflate.params(want, constants.Z_DEFAULT_STRATEGY, () => resolve()));
    }
    crc = crc32(block, crc);
    size = (size + block.length) % 2 ** 32;
    if (!deflate.write(block)) await drained(deflate);
  };
  const takeBlocks = async (all: boolean) => {
    if (pendingLength < BLOCK && !(all && pendingLength > 0)) return;
    let rest = Buffer.concat(pending, pendingLength);
    while (rest.length >= BLOCK) {
      await writeBlock(rest.subarray(0, BLOCK));
      rest = rest.subarray(BLOCK);
    }
    if (all && rest.length > 0) {
      await writeBlock(rest);
      rest = Buffer.alloc(0);
    }
    pending = rest.length > 0 ? [rest] : [];
    pendingLength = rest.length;
  };
  const duplex: Duplex = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      pending.push(chunk);
      pendingLength += chunk.length;
      takeBlocks(false).then(() => callback(), callback);
    },
    final(callback) {
      takeBlocks(true).then(() => {
        deflate.end();
        callback();
      }, callback);
    },
    read() {
      deflate.resume();
    },
    destroy(err, callback) {
      deflate.destroy();
      callback(err);
    },
  });
  duplex.push(gzipHeader);
  deflate.on('data', (data: Buffer) => {
    if (!duplex.push(data)) deflate.pause();
  });
  deflate.on('end', () => {
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(size, 4);
    duplex.push(trailer);
    duplex.push(null);
  });
  deflate.on('error', (err) => duplex.destroy(err));
  return duplex;
}

/** What zlib writes for gzip at levels 2-8: magic, deflate, no flags, mtime 0, XFL 0, OS Unix. */
const gzipHeader = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);

function drained(gzip: DeflateRaw): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      gzip.off('drain', done);
      gzip.off('error', done);
      gzip.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const closed = () => done(new Error('the compressor closed'));
    gzip.once('drain', done);
    gzip.once('error', done);
    gzip.once('close', closed);
  });
}

/** Byte entropy of every 16th byte of `block`, against INCOMPRESSIBLE_BITS (a deterministic sample). */
export function looksIncompressible(block: Buffer): boolean {
  if (block.length < 4096) return false;
  const counts = new Uint32Array(256);
  let n = 0;
  for (let i = 0; i < block.length; i += 16, n++) counts[block[i] as number]! += 1;
  let bits = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / n;
    bits -= p * Math.log2(p);
  }
  return bits >= INCOMPRESSIBLE_BITS;
}
