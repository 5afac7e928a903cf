/**
 * fast-check generators of hostile layer tars, for the fuzz targets of core/diff and of the
 * archive handling of ADD and import: names with `..`, absolute names, names of the host
 * directory beside the root (`@OUT@` stands for its absolute path, filled in per run), symlink and
 * hard-link chains pointing out, whiteouts, devices, fifos, long names and raw PAX records.
 */
import fc from 'fast-check';

import type { TestEntry } from './tars.js';

/** Placeholder for the absolute path of the directory beside the root that must stay untouched. */
export const OUTSIDE = '@OUT@';

const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'lnk', 'up', 'etc', 'outside', 'secret') },
  { weight: 3, arbitrary: fc.constantFrom('..', '.', '', '.wh.a', '.wh.b', '.wh.lnk', '.wh..wh..opq', '.wh..wh.plnk', '.wh.') },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('/') && !s.includes('\0')) },
  { weight: 1, arbitrary: fc.integer({ min: 90, max: 300 }).map((n) => 'L'.repeat(n)) },
);

/** Climbing through the few names symlinks get: `up/../lnk/outside`. */
const climb = fc.array(fc.constantFrom('..', '..', 'up', 'lnk', 'outside', 'secret', 'd'), { minLength: 1, maxLength: 6 }).map((s) => s.join('/'));

/** A path: relative or absolute, through `..`, or into the host directory beside the root. */
export const hostilePath: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: climb },
  { weight: 2, arbitrary: climb.map((p) => `/${p}`) },
  { weight: 6, arbitrary: fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/')) },
  { weight: 2, arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`) },
  { weight: 2, arbitrary: fc.array(segment, { maxLength: 3 }).map((s) => [OUTSIDE, ...s].join('/')) },
  { weight: 1, arbitrary: fc.constantFrom('/', '.', '..', '../..', '/proc/self/root', '/proc/self/cwd', '../outside/secret', '/..', '') },
);

const paxValue = fc.oneof(fc.string({ maxLength: 20 }), hostilePath, fc.constantFrom('-1', '1e400', 'NaN', '99999999999999999999', '0.5'));
const paxRecords: fc.Arbitrary<Record<string, string>> = fc.dictionary(
  fc.constantFrom('path', 'linkpath', 'mtime', 'atime', 'uid', 'gid', 'size', 'SCHILY.xattr.user.x', 'SCHILY.xattr.trusted.overlay.opaque', 'SCHILY.xattr.security.capability', 'GNU.sparse.map', 'comment'),
  paxValue,
  { minKeys: 1, maxKeys: 3 }, // an empty PAX header is a tar-stream limitation (docs/FUZZING.md), not a case
);

/**
 * Entry names: mostly plain paths through the few names symlinks get (`up/outside/secret`), since
 * one name with `..` above the root refuses its whole layer; sometimes anything hostile.
 */
const entryName: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.constantFrom('up', 'lnk', 'd', 'a', 'outside', 'secret', '.wh.secret', '.wh.d', '.wh..wh..opq'), { minLength: 1, maxLength: 4 }).map((s) => s.join('/')) },
  { weight: 2, arbitrary: hostilePath },
);

/** One hostile entry. */
export const hostileEntry: fc.Arbitrary<TestEntry> = fc.record({
  name: entryName,
  type: fc.constantFrom('file', 'file', 'file', 'directory', 'directory', 'symlink', 'symlink', 'link', 'link', 'character-device', 'block-device', 'fifo'),
  linkname: hostilePath,
  mode: fc.oneof(fc.constantFrom(0o644, 0o755, 0o4755, 0o000, 0o1777), fc.integer({ min: 0, max: 0o7777 })),
  uid: fc.constantFrom(0, 1000, 65534),
  gid: fc.constantFrom(0, 1000, 65534),
  devmajor: fc.constantFrom(0, 1, 8),
  devminor: fc.constantFrom(0, 3, 5),
  body: fc.oneof(fc.constant('pwned'), fc.string({ maxLength: 64 })),
  pax: fc.option(paxRecords, { nil: undefined }),
}, { requiredKeys: ['name', 'type'] }).map((e) => {
  // only regular files carry a body: tar-stream waits for one of exactly `size` bytes
  const { body, pax, ...rest } = e;
  const entry: TestEntry = { ...rest };
  if (rest.type === 'file' && body !== undefined) entry.body = body;
  if (pax !== undefined) entry.pax = pax;
  return entry;
});

const pivotNames = ['up', 'lnk', 'd', 'a/up', 'outside'] as const;

/** A symlink with one of the names later entries write through, pointing somewhere hostile. */
const pivot: fc.Arbitrary<TestEntry> = fc.record({
  name: fc.constantFrom(...pivotNames),
  linkname: hostilePath,
}).map(({ name, linkname }) => ({ name, type: 'symlink', linkname }));

/** A file, directory or hard link written through those names. */
const throughPivot = fc.tuple(fc.constantFrom(...pivotNames), fc.array(fc.constantFrom('outside', 'secret', 'd', 'x', 'up'), { maxLength: 3 }))
  .map(([pivotName, rest]) => [pivotName, ...rest].join('/'));
const writeThrough: fc.Arbitrary<TestEntry> = fc.record({
  name: fc.oneof({ weight: 3, arbitrary: throughPivot }, { weight: 1, arbitrary: entryName }),
  kind: fc.constantFrom('file', 'file', 'directory', 'link'),
  linkname: hostilePath,
}).map(({ name, kind, linkname }): TestEntry => (kind === 'file' ? { name, body: 'pwned' } : kind === 'link' ? { name, type: 'link', linkname } : { name, type: 'directory' }));

/** A layer: a few hostile entries, often a symlink and writes through it. */
export const hostileLayer: fc.Arbitrary<TestEntry[]> = fc.array(fc.oneof(
  { weight: 3, arbitrary: pivot },
  { weight: 3, arbitrary: writeThrough },
  { weight: 3, arbitrary: hostileEntry },
), { minLength: 1, maxLength: 8 });

/** `entries` with OUTSIDE replaced by the absolute path `outside`. */
export function placeOutside(entries: readonly TestEntry[], outside: string): TestEntry[] {
  const fill = (s: string) => s.split(OUTSIDE).join(outside);
  return entries.map((e) => {
    const out: TestEntry = { ...e, name: fill(e.name) };
    if (e.linkname !== undefined && e.linkname !== null) out.linkname = fill(e.linkname);
    if (e.pax !== undefined) out.pax = Object.fromEntries(Object.entries(e.pax).map(([k, v]) => [k, typeof v === 'string' ? fill(v) : v]));
    return out;
  });
}

/** Damage to a byte string: none, truncation, flipped bytes, or a spliced run of garbage. */
export const damage: fc.Arbitrary<(buf: Buffer) => Buffer> = fc.oneof(
  { weight: 3, arbitrary: fc.constant((buf: Buffer) => buf) },
  { weight: 2, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((f) => (buf: Buffer) => buf.subarray(0, Math.floor(buf.length * f))) },
  { weight: 2, arbitrary: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }).map((flips) => (buf: Buffer) => {
    const out = Buffer.from(buf);
    for (const [at, x] of flips) if (out.length > 0) out[Math.floor(at * out.length)]! ^= x;
    return out;
  }) },
  { weight: 1, arbitrary: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 600 })).map(([at, junk]) => (buf: Buffer) => {
    const i = Math.floor(at * buf.length);
    return Buffer.concat([buf.subarray(0, i), Buffer.from(junk), buf.subarray(i)]);
  }) },
);
