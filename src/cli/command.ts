import type { Readable, Writable } from 'node:stream';

import type { Engine } from '../services/index.js';
import type { FlagSpecs, Parsed } from './args.js';

/** What a command gets: the engine (opened on first use) and the process's streams. */
export interface CliContext {
  engine(): Engine;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Global settings (`--root`), for messages. */
  root: string;
}

export interface Command {
  name: string;
  usage: string;
  description: string;
  flags: FlagSpecs;
  /** `run IMAGE CMD...`: flags end at the first positional. */
  stopAtPositional?: boolean;
  /** Exit code Docker uses for an engine error in this command (125 for run, 1 elsewhere). */
  errorExitCode?: number;
  run(ctx: CliContext, args: Parsed): Promise<number>;
}

/** Formats rows as an aligned table the way the docker CLI does (3 spaces between columns). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** "3 seconds ago", "2 hours ago": Docker's human durations. */
export function ago(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return 'N/A';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 1) return 'Less than a second ago';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'} ago`;
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'About a minute ago' : `${m} minutes ago`;
  const h = Math.round(m / 60);
  if (h < 48) return h === 1 ? 'About an hour ago' : `${h} hours ago`;
  const d = Math.round(h / 24);
  if (d < 14) return `${d} days ago`;
  if (d < 60) return `${Math.round(d / 7)} weeks ago`;
  if (d < 730) return `${Math.round(d / 30)} months ago`;
  return `${Math.round(d / 365)} years ago`;
}

/** Docker's decimal sizes: 4.26MB, 1.2GB. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`;
}

/**
 * Runs `fn` for each object a command names (`rm a b c`), as the docker CLI does: a failure is
 * reported (`<prefix><message>`) and the others still run; the exit code is 1 if any failed.
 */
export async function forEachRef(ctx: CliContext, refs: readonly string[], fn: (ref: string) => Promise<void>, prefix = 'Error response from daemon: '): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      await fn(ref);
    } catch (err) {
      ctx.stderr.write(`${prefix}${(err as Error).message}\n`);
      code = 1;
    }
  }
  return code;
}
