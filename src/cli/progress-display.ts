import type { Writable } from 'node:stream';

import type { ProgressEvent } from '../api/index.js';
import { humanSize, progressLine } from '../api/index.js';

/** Go's time.Duration.String() of whole seconds: 0s, 45s, 1m5s, 2h0m3s. */
function goDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h${m}m${s % 60}s`;
  if (m > 0) return `${m}m${s % 60}s`;
  return `${s}s`;
}

/**
 * A byte count as the docker CLI draws it (jsonmessage.JSONProgress.String): on a terminal wider
 * than 110 columns a 50-character bar, then `current/total` (current right-aligned in 8), then
 * the time left on one wider than 50.
 */
export function progressBar(current: number, total: number, width: number, elapsedMs?: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current, 4).padStart(8);
  const percentage = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = width > 110 ? `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] ` : '';
  const numbers = current > total ? humanSize(current, 4).padStart(8) : `${humanSize(current, 4).padStart(8)}/${humanSize(total, 4)}`;
  let left = '';
  if (current > 0 && elapsedMs !== undefined && percentage < 50 && width > 50) left = ` ${goDuration(((total - current) * elapsedMs) / current / 1000)}`;
  return bar + numbers + left;
}

/**
 * Pull and push progress on the CLI's side, as the docker CLI shows dockerd's messages
 * (jsonmessage.DisplayJSONMessagesStream). On a terminal each layer has a line of its own,
 * redrawn in place (cursor up to it, clear, write, cursor back down) with a bar for byte counts;
 * otherwise every status is a plain line of its own and byte counts are left out, so a log gets
 * `<id>: Pull complete` once and no redraws.
 */
export class ProgressDisplay {
  /** The line of each layer id, counted from the first of the current group. */
  private readonly lines = new Map<string, number>();
  private readonly started = new Map<string, number>();

  constructor(private readonly out: Writable, private readonly terminal = (out as { isTTY?: boolean }).isTTY === true) {}

  /** The consumer to hand a pull or push (`onProgressEvent`). */
  readonly event = (event: ProgressEvent): void => {
    if (!this.terminal) {
      if (event.current === undefined) this.out.write(`${progressLine(event)}\n`);
      return;
    }
    if (event.id === undefined) {
      // something that is no layer's ends the group: a later layer line starts a new one (pull -a)
      this.lines.clear();
      this.out.write(`${event.status}\n`);
      return;
    }
    let line = this.lines.get(event.id);
    if (line === undefined) {
      line = this.lines.size;
      this.lines.set(event.id, line);
      this.out.write('\n');
    }
    const up = this.lines.size - line;
    let bytes = '';
    if (event.current !== undefined) {
      const key = `${event.id} ${event.status}`;
      const start = this.started.get(key) ?? Date.now();
      this.started.set(key, start);
      const width = (this.out as { columns?: number }).columns ?? 80;
      bytes = progressBar(event.current, event.total ?? 0, width, Date.now() - start);
    }
    this.out.write(`\x1b[${up}A\x1b[2K\r${event.id}: ${event.status} ${bytes}\r\x1b[${up}B`);
  };
}
