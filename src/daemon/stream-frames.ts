/**
 * The byte streams of attach, exec and logs: Docker's multiplexed frames (an 8-byte header —
 * stream, three zeros, a big-endian length — before each chunk of a non-terminal's output) or the
 * raw bytes of a terminal; the detach keys and signal names clients send.
 */
import { Writable } from 'node:stream';

import { errors, writableReady } from '../base/index.js';

/** Where stream output goes: a socket, or a response. Writes after it closed are dropped. */
export interface Sink {
  write(chunk: Buffer): boolean;
  readonly destroyed: boolean;
  readonly writableEnded?: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** A sink for a stream the client did not ask for: its bytes are dropped. */
export const nowhere: Sink = { write: () => true, destroyed: true, on: () => undefined, off: () => undefined };

const open = (sink: Sink) => !sink.destroyed && sink.writableEnded !== true;

/** One frame: the header and the payload in one buffer, so that two streams' frames never interleave. */
export function frame(stream: 1 | 2 | 3, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * A Writable for one of a container's streams on `sink`: framed as `stream` (1 stdout, 2 stderr)
 * when `multiplexed`, raw otherwise (a terminal). Its callback waits for the sink to take the bytes.
 */
export function streamWriter(sink: Sink, stream: 1 | 2, multiplexed: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!open(sink) || chunk.length === 0) return callback();
      const bytes = multiplexed ? frame(stream, chunk) : chunk;
      if (sink.write(bytes)) return callback();
      // Back-pressure: wait for the sink to drain (or go away).
      void writableReady(sink).then(() => callback());
    },
  });
}

const ctrlKeys: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };

/**
 * Docker's `--detach-keys` (term.ToBytes): comma-separated keys, each one character or `ctrl-X`
 * (X a letter or one of @[\]^_). 400 for anything else, with dockerd's message.
 */
export function parseDetachKeys(text: string): Buffer {
  const out: number[] = [];
  for (const key of text.split(',')) {
    const k = key.trim().toLowerCase();
    if (k.length === 1) {
      out.push(k.charCodeAt(0));
      continue;
    }
    const m = /^ctrl-(.)$/.exec(k);
    const c = m?.[1];
    if (c !== undefined && c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if (c !== undefined && ctrlKeys[c] !== undefined) out.push(ctrlKeys[c]);
    else throw errors.invalidArgument('INVALID_DETACH_KEYS', `Invalid detach keys (${text}) provided`);
  }
  return Buffer.from(out);
}

/** Docker's default detach keys: ctrl-p, ctrl-q. */
export const defaultDetachKeys = Buffer.from([16, 17]);

const signalNames = [
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'IOT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM', 'STKFLT', 'CHLD', 'CLD', 'CONT', 'STOP',
  'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO', 'POLL', 'PWR', 'SYS', 'UNUSED',
];

/**
 * A signal as clients send it — `KILL`, `SIGKILL`, `sigkill`, `9`, `RTMIN+3` — as the name the
 * engine takes (`SIGKILL`, or the number); a 400 `Invalid signal: X` for anything else.
 */
export function normalizeSignal(text: string): string {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1 || n > 64) throw errors.invalidArgument('INVALID_SIGNAL', `Invalid signal: ${text}`);
    return String(n);
  }
  const name = t.toUpperCase().replace(/^SIG/, '');
  if (signalNames.includes(name) || /^RTMIN(\+([1-9]|1[0-5]))?$/.test(name) || /^RTMAX(-([1-9]|1[0-4]))?$/.test(name)) return `SIG${name}`;
  throw errors.invalidArgument('INVALID_SIGNAL', `Invalid signal: ${text}`);
}
