/**
 * `logs`: reads a container's json-file log — the files its monitor wrote, rotated ones first —
 * without any monitor or berth process running. Following (`-f`) reads on as the monitor
 * appends, across rotations, until the container stops.
 */
import { closeSync, openSync, readSync, readFileSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

import { errnoCode, errors } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import type { LogsOptions } from '../api/index.js';
import { isActive, logPath } from './container-monitor.js';
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
  const path = logPath(ctx, record.id);
  const maxFile = Number(record.hostConfig.logConfig?.config['max-file'] ?? 1);
  const files = [...Array.from({ length: Math.max(0, maxFile - 1) }, (_, i) => `${path}.${maxFile - 1 - i}`), path];
  const entries: LogEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw err;
    }
    for (const line of text.split('\n')) if (line) entries.push(...parseLine(line));
  }
  const selected = select(entries, options);
  for (const entry of options.tail !== undefined && options.tail >= 0 ? selected.slice(Math.max(0, selected.length - options.tail)) : selected) write(entry, options);
  if (!options.follow) return;

  // Follow: read what the monitor appends to the current file; a rotation starts a new file.
  let position = fileSize(path);
  let inode = fileInode(path);
  const decoder = new StringDecoder('utf8');
  let partial = '';
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
    partial += decoder.write(chunk);
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const entry of select(lines.filter(Boolean).flatMap(parseLine), options)) write(entry, options);
    if (chunk.length > 0) continue;
    let current: ContainerRecord;
    try {
      current = await refresh(record.id);
    } catch {
      return;
    }
    if (!isActive(current) && current.state.status !== 'restarting') {
      // One last read: what was written before the exit.
      const rest = readFrom(path, position);
      partial += decoder.write(rest);
      for (const entry of select(partial.split('\n').filter(Boolean).flatMap(parseLine), options)) write(entry, options);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function parseLine(line: string): LogEntry[] {
  try {
    return [JSON.parse(line) as LogEntry];
  } catch {
    return [];
  }
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
  if (options.timestamps) text = `${entry.time} ${text}`;
  (entry.stream === 'stderr' ? options.stderr : options.stdout).write(text);
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
