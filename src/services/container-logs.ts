/**
 * `logs`: reads a container's json-file log — the files its monitor wrote, rotated ones first —
 * without any monitor or berth process running. Following (`-f`) reads on as the monitor
 * appends, across rotations, until the container stops.
 */
import { closeSync, openSync, readSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

import { errnoCode, errors } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import type { LogsOptions } from '../api/index.js';
import { isActive, logPath, logSettings } from './container-monitor.js';
import type { EngineContext } from './engine-context.js';

interface LogEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
  attrs?: Record<string, string>;
}

export async function readLogs(ctx: EngineContext, record: ContainerRecord, options: LogsOptions, refresh: (id: string) => Promise<ContainerRecord>): Promise<void> {
  const driver = record.hostConfig.logConfig?.type ?? 'json-file';
  if (driver === 'none') {
    throw errors.failedPrecondition('LOGS_UNSUPPORTED', `configured logging driver does not support reading`);
  }
  const path = logPath(ctx, record);
  const { maxFile } = logSettings(record.hostConfig.logConfig?.config ?? {}, driver);
  const parse = driver === 'local' ? parseLocal : parseJsonLines;
  // Oldest first: log.N ... log.1 (each plain, or gzip-compressed as log.N.gz), then the live file.
  const files = [...Array.from({ length: Math.max(0, maxFile - 1) }, (_, i) => `${path}.${maxFile - 1 - i}`), path];
  const entries: LogEntry[] = [];
  for (const file of files) {
    const bytes = readLogFile(file) ?? (file === path ? undefined : readLogFile(`${file}.gz`, true));
    if (bytes) entries.push(...parse(bytes).entries);
  }
  const selected = select(entries, options);
  for (const entry of options.tail !== undefined && options.tail >= 0 ? selected.slice(Math.max(0, selected.length - options.tail)) : selected) write(entry, options);
  if (!options.follow) return;

  // Follow: read what the monitor appends to the current file; a rotation starts a new file.
  let position = fileSize(path);
  let inode = fileInode(path);
  let pending: Buffer = Buffer.alloc(0);
  for (;;) {
    if (options.signal?.aborted) return;
    const currentInode = fileInode(path);
    // Rotated (a new file) or truncated (max-file 1): read the new content from its start.
    if (currentInode !== inode || fileSize(path) < position) {
      inode = currentInode;
      position = 0;
    }
    const chunk = readFrom(path, position);
    position += chunk.length;
    const parsed = parse(Buffer.concat([pending, chunk]));
    pending = parsed.rest;
    for (const entry of select(parsed.entries, options)) write(entry, options);
    if (chunk.length > 0) continue;
    let current: ContainerRecord;
    try {
      current = await refresh(record.id);
    } catch {
      return;
    }
    if (!isActive(current) && current.state.status !== 'restarting') {
      // One last read: what was written before the exit.
      const last = parse(Buffer.concat([pending, readFrom(path, position)]));
      for (const entry of select(last.entries, options)) write(entry, options);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A log file's bytes; `undefined` when it does not exist. */
function readLogFile(file: string, gzipped = false): Buffer | undefined {
  try {
    const bytes = readFileSync(file);
    return gzipped ? gunzipSync(bytes) : bytes;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    // A rotated file still being compressed: its .gz is incomplete; skip it rather than fail.
    if (gzipped) return undefined;
    throw err;
  }
}

/** json-file: one JSON object per line; an incomplete last line is left for later. */
function parseJsonLines(bytes: Buffer): { entries: LogEntry[]; rest: Buffer } {
  const end = bytes.lastIndexOf(0x0a) + 1;
  const entries: LogEntry[] = [];
  for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
    if (!line) continue;
    try {
      entries.push(JSON.parse(line) as LogEntry);
    } catch {
      // A damaged line is skipped, as Docker's reader does.
    }
  }
  return { entries, rest: bytes.subarray(end) };
}

/**
 * Docker's `local` driver: LogEntry protobufs (1 source, 2 time_nano, 3 line, 4 partial), each
 * framed by its 32-bit big-endian length before and after.
 */
function parseLocal(bytes: Buffer): { entries: LogEntry[]; rest: Buffer } {
  const entries: LogEntry[] = [];
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const size = bytes.readUInt32BE(offset);
    if (offset + 8 + size > bytes.length) break;
    const entry = decodeLogEntry(bytes.subarray(offset + 4, offset + 4 + size));
    if (entry) entries.push(entry);
    offset += 8 + size;
  }
  return { entries, rest: bytes.subarray(offset) };
}

function decodeLogEntry(message: Buffer): LogEntry | undefined {
  let source = 'stdout';
  let timeNano = 0n;
  let line: Buffer = Buffer.alloc(0);
  let partial = false;
  let i = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; i < message.length; shift += 7n) {
      const byte = message[i++] as number;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    return value;
  };
  while (i < message.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) {
      const v = varint();
      if (field === 2) timeNano = v;
      else if (field === 4) partial = v !== 0n;
    } else if (wire === 2) {
      const len = Number(varint());
      const body = message.subarray(i, i + len);
      i += len;
      if (field === 1) source = body.toString();
      else if (field === 3) line = body;
    } else {
      return undefined;
    }
  }
  const ms = Number(timeNano / 1_000_000n);
  const nanos = String(timeNano % 1_000_000_000n).padStart(9, '0');
  const time = `${new Date(ms).toISOString().slice(0, 19)}.${nanos}Z`;
  return { log: `${line.toString('utf8')}${partial ? '' : '\n'}`, stream: source === 'stderr' ? 'stderr' : 'stdout', time };
}

function select(entries: LogEntry[], options: LogsOptions): LogEntry[] {
  if (options.since === undefined && options.until === undefined) return entries;
  return entries.filter((e) => {
    const t = Date.parse(e.time) / 1000;
    return (options.since === undefined || t >= options.since) && (options.until === undefined || t <= options.until);
  });
}

function write(entry: LogEntry, options: LogsOptions): void {
  let text = entry.log;
  if (options.details) {
    const attrs = Object.entries(entry.attrs ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    text = `${attrs} ${text}`;
  }
  // Docker shows times with all nine digits of the fraction (its files drop trailing zeros).
  if (options.timestamps) text = `${fixedNanos(entry.time)} ${text}`;
  (entry.stream === 'stderr' ? options.stderr : options.stdout).write(text);
}

function fixedNanos(time: string): string {
  const m = /^([^.Z]+)(?:\.(\d+))?Z$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : time;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function fileInode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return 0;
  }
}

function readFrom(path: string, position: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.alloc(65536);
      const n = readSync(fd, buf, 0, buf.length, position);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      position += n;
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}
