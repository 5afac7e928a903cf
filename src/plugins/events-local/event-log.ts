/**
 * The local event log: `<root>/events/events.log`, one JSON line per event (Docker's shape,
 * core/events), appended by every berth process that changes something — no daemon collects them.
 *
 * Concurrent writers: each event is one write(2) of a whole line on a descriptor opened with
 * O_APPEND; Linux's local file systems serialise such writes per inode (the write holds the
 * inode's lock and appends at the end it finds), so lines from different processes never
 * interleave or overwrite each other. Bounded: once the log passes `maxBytes` (8 MiB), the writer
 * that noticed renames it to `events.log.1` (replacing the previous one) under an flock(2) on
 * `events/lock`, re-checking the size under the lock so that two writers never rotate twice. So the
 * store holds at most about 2 × 8 MiB of events (tens of thousands); older ones are gone, as
 * dockerd keeps only its last 256 events in memory.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { EventLog, EventMessage } from '../../core/events/index.js';
import { decodeEvent, encodeEvent, nowNano } from '../../core/events/index.js';
import { flock, LOCK_EX, LOCK_UN } from '../../sys/index.js';

/** The size past which the log is rotated: 8 MiB. */
export const defaultMaxLogBytes = 8 * 1024 * 1024;

export interface LocalEventLogOptions {
  maxBytes?: number;
  warn?: (message: string) => void;
}

/** `fn()`, or `fallback` when it fails with one of these errno codes. */
function ignoreErrnoSync<T>(codes: readonly string[], fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (err) {
    if (codes.includes((err as NodeJS.ErrnoException).code ?? '')) return fallback;
    throw err;
  }
}

/** Reads `fd` from `start` to `end` (or its end). */
function readRange(fd: number, start: number, end?: number): Buffer {
  const size = end ?? fstatSync(fd).size;
  if (size <= start) return Buffer.alloc(0);
  const buf = Buffer.alloc(size - start);
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, start + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

function decodeLines(text: string): EventMessage[] {
  const out: EventMessage[] = [];
  for (const line of text.split('\n')) {
    const event = line === '' ? undefined : decodeEvent(line);
    if (event) out.push(event);
  }
  return out;
}

export function createLocalEventLog(dir: string, options: LocalEventLogOptions = {}): EventLog & { path: string } {
  const path = join(dir, 'events.log');
  const previous = join(dir, 'events.log.1');
  const maxBytes = options.maxBytes ?? defaultMaxLogBytes;
  const warn = options.warn ?? (() => undefined);

  function rotate(): void {
    const lockFd = openSync(join(dir, 'lock'), 'a');
    try {
      flock(lockFd, LOCK_EX);
      // Another writer may have rotated meanwhile: look at the file the name holds now.
      const size = ignoreErrnoSync(['ENOENT'], () => statSync(path).size, 0);
      if (size > maxBytes) renameSync(path, previous);
    } finally {
      ignoreErrnoSync(['EBADF'], () => flock(lockFd, LOCK_UN), undefined);
      closeSync(lockFd);
    }
  }

  return {
    path,
    append(event) {
      try {
        mkdirSync(dir, { recursive: true });
        const fd = openSync(path, 'a', 0o600);
        let size: number;
        try {
          writeSync(fd, `${encodeEvent(event)}\n`);
          size = fstatSync(fd).size;
        } finally {
          closeSync(fd);
        }
        if (size > maxBytes) rotate();
      } catch (err) {
        warn(`cannot record the ${event.Type} ${event.Action} event in ${path}: ${(err as Error).message}`);
      }
    },
    async *stream({ since, until, follow, signal, pollMs = 100 }) {
      // Open the log before reading the past, so that nothing appended meanwhile is missed or shown twice.
      let fd = ignoreErrnoSync(['ENOENT'], () => openSync(path, 'r'), -1);
      let offset = fd >= 0 ? fstatSync(fd).size : 0;
      try {
        if (since !== undefined || until !== undefined) {
          const old = ignoreErrnoSync(['ENOENT'], () => openSync(previous, 'r'), -1);
          const past: EventMessage[] = [];
          if (old >= 0) {
            try {
              past.push(...decodeLines(readRange(old, 0).toString('utf8')));
            } finally {
              closeSync(old);
            }
          }
          if (fd >= 0) past.push(...decodeLines(readRange(fd, 0, offset).toString('utf8')));
          for (const event of past) {
            if ((since === undefined || event.timeNano >= since) && (until === undefined || event.timeNano <= until)) yield event;
          }
        }
        if (!follow) return;
        let partial = '';
        while (!signal?.aborted && (until === undefined || nowNano() <= until)) {
          if (fd < 0) {
            fd = ignoreErrnoSync(['ENOENT'], () => openSync(path, 'r'), -1);
            offset = 0;
          }
          if (fd >= 0) {
            const chunk = readRange(fd, offset);
            offset += chunk.length;
            const text = partial + chunk.toString('utf8');
            const end = text.lastIndexOf('\n');
            partial = text.slice(end + 1);
            for (const event of decodeLines(text.slice(0, end + 1))) {
              if (until !== undefined && event.timeNano > until) return;
              yield event;
            }
            // Rotated: what the old file got is read; go on with the new one.
            const current = ignoreErrnoSync(['ENOENT'], () => statSync(path).ino, -1);
            if (current !== fstatSync(fd).ino && readRange(fd, offset).length === 0) {
              closeSync(fd);
              fd = -1;
              partial = '';
              continue;
            }
          }
          await sleep(pollMs, undefined, signal ? { signal } : {}).catch(() => undefined);
        }
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    },
  };
}
