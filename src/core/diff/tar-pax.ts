/**
 * PAX extended headers with binary-safe values. tar-stream v3 decodes and encodes PAX record
 * values as UTF-8 text, which corrupts binary xattrs such as `security.capability` (bytes >= 0x80).
 * So berth reads the raw records itself (`captureRawPax`) and writes its own PAX header blocks
 * (`paxHeaderBlocks`), while tar-stream still parses and writes every ordinary header and body.
 */
import type { Extract } from 'tar-stream';

import { errors } from '../../base/index.js';

export type PaxRecords = ReadonlyMap<string, Buffer>;

/** Parses `"<len> <key>=<value>\n"` records; stops at the first malformed one (as tar-stream does). */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < buf.length) {
    const space = buf.indexOf(0x20, offset);
    if (space === -1) break;
    const len = Number.parseInt(buf.toString('latin1', offset, space), 10);
    if (!Number.isSafeInteger(len) || len <= space - offset || offset + len > buf.length) break;
    const record = buf.subarray(space + 1, offset + len - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq === -1) break;
    records.set(record.toString('utf8', 0, eq), record.subarray(eq + 1));
    offset += len;
  }
  return records;
}

interface ExtractInternals {
  _header?: { type?: string | null } | null;
  _decodeLongHeader?: (this: unknown, buf: Buffer) => void;
}

/**
 * Hooks an extract stream so the raw PAX records of each entry can be read. Call the returned
 * function once per entry, in order: it gives that entry's records (global ones merged in).
 * This relies on tar-stream's private `_decodeLongHeader`; a tar-stream update that renames it
 * fails here loudly, and the binary xattr test catches any other change.
 */
export function captureRawPax(extract: Extract): () => PaxRecords | undefined {
  const internals = extract as unknown as ExtractInternals;
  const original = internals._decodeLongHeader;
  if (typeof original !== 'function') {
    throw errors.unknown('TAR_STREAM_INCOMPATIBLE', 'Cannot read PAX headers: this tar-stream version is not supported');
  }
  let global: Map<string, Buffer> | undefined;
  let local: Map<string, Buffer> | undefined;
  internals._decodeLongHeader = function (this: unknown, buf: Buffer): void {
    const type = internals._header?.type;
    if (type === 'pax-global-header') global = parsePax(buf);
    if (type === 'pax-header') local = new Map([...(global ?? []), ...parsePax(buf)]);
    original.call(this, buf);
  };
  return () => {
    const records = local ?? global;
    local = undefined;
    return records;
  };
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  const digits = String(body.length).length;
  let len = body.length + digits;
  if (String(len).length > digits) len += 1; // the length counts its own digits
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(value.toString(8).padStart(width - 1, '0'), offset, 'latin1');
}

/**
 * A complete PAX extended header ('x' typeflag block, records, zero padding) for the entry that
 * follows it. The block itself is fixed (name "PaxHeader", mode 0644, ids and mtime 0) so equal
 * records always give equal bytes.
 */
export function paxHeaderBlocks(records: ReadonlyArray<readonly [string, Buffer]>): Buffer {
  const data = Buffer.concat(records.map(([key, value]) => paxRecord(key, value)));
  const block = Buffer.alloc(512);
  block.write('PaxHeader', 0, 'latin1');
  writeOctal(block, 100, 8, 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, data.length);
  writeOctal(block, 136, 12, 0);
  block.write('x', 156, 'latin1');
  block.write('ustar\u000000', 257, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'latin1');
  const padding = (512 - (data.length % 512)) % 512;
  return Buffer.concat([block, data, Buffer.alloc(padding)]);
}
