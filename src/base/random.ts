/**
 * Random bytes for ids and temporary names, read from /dev/urandom: node:crypto costs ~2 ms to
 * load, on every `berth run`, for a few dozen random bytes. One read of 4 KiB serves a process's
 * first 128 ids.
 */
import { closeSync, openSync, readSync } from 'node:fs';

let pool = Buffer.alloc(0);
let used = 0;

/** `count` random bytes (at most 4096), from the kernel's CSPRNG. */
export function randomBytesSync(count: number): Buffer {
  if (used + count > pool.length) {
    pool = Buffer.allocUnsafe(Math.max(4096, count));
    const fd = openSync('/dev/urandom', 'r');
    try {
      for (let got = 0; got < pool.length; ) got += readSync(fd, pool, got, pool.length - got, null);
    } finally {
      closeSync(fd);
    }
    used = 0;
  }
  const bytes = pool.subarray(used, used + count);
  used += count;
  return bytes;
}

/** `count` random bytes as 2 × `count` hex digits. */
export function randomHex(count: number): string {
  return randomBytesSync(count).toString('hex');
}

/** A random integer in [0, max) for max ≤ 2^32, without modulo bias. */
export function randomBelow(max: number): number {
  const limit = Math.floor(0x100000000 / max) * max;
  for (;;) {
    const n = randomBytesSync(4).readUInt32BE(0);
    if (n < limit) return n % max;
  }
}
