import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';

import type { ProgressEvent } from '../api/index.js';
import { progressLine } from '../api/index.js';

/** How often a layer's byte counts are reported at most (the first and the last always are). */
const interval = 100;

/**
 * A pull's or push's progress reporter: statuses go to both the line consumer and the event
 * consumer; byte counts (`Downloading`, `Extracting`, `Pushing`) only to the event consumer, at
 * most every 100 ms per layer, as they would flood a log.
 */
export class Progress {
  private readonly last = new Map<string, number>();

  constructor(private readonly options: { onProgress?: (line: string) => void; onProgressEvent?: (event: ProgressEvent) => void }) {}

  /** A status without a layer (`Digest: ...`), or a layer's (`<id>: Pull complete`). */
  status(status: string, id?: string): void {
    const event: ProgressEvent = id !== undefined ? { id, status } : { status };
    this.options.onProgressEvent?.(event);
    this.options.onProgress?.(progressLine(event));
  }

  /** A layer's byte count; reported when it is the first, the last, or 100 ms after the one before. */
  bytes(id: string, status: string, current: number, total: number): void {
    if (!this.options.onProgressEvent) return;
    const now = Date.now();
    const key = `${id} ${status}`;
    const before = this.last.get(key);
    if (before !== undefined && now - before < interval && current < total) return;
    this.last.set(key, now);
    this.options.onProgressEvent({ id, status, current, total });
  }

  /** Whether byte counts are wanted at all (so that nothing counts them otherwise). */
  get wantsBytes(): boolean {
    return this.options.onProgressEvent !== undefined;
  }
}

/** `source` with every byte read from it counted (`report` gets the running total). Errors and early ends go both ways. */
export function counting(source: Readable, report: (bytes: number) => void): Readable {
  let bytes = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      report(bytes);
      done(null, chunk);
    },
  });
  source.on('error', (err) => out.destroy(err));
  out.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  return source.pipe(out);
}
