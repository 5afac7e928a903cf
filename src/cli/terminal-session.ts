/**
 * The client side of an attached session (`run` in the foreground, `start -a`, `attach`): the
 * user's terminal in raw mode while a container's pseudo-terminal is attached — restored on every
 * way out —, its size sent on start and on every SIGWINCH, and the detach keys.
 */
import { spawnSync } from 'node:child_process';
import type { ReadStream, WriteStream } from 'node:tty';

import { errors } from '../base/index.js';
import type { AttachStreams, Engine } from '../api/index.js';
import type { CliContext } from './command.js';

export interface SessionChoice {
  /** The container has a pseudo-terminal. */
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** `--detach-keys` as given (`ctrl-p,ctrl-q`); Docker's default when undefined. */
  detachKeys?: string | undefined;
}

export interface TerminalSession {
  streams: AttachStreams;
  /** Sends the terminal's size to the container now and on every change. */
  followSize(engine: Engine, id: string): void;
  /** Gives the terminal's size to `resize` now and on every change (an exec's own terminal). */
  followSizeWith(resize: (rows: number, cols: number) => void): void;
  /** Restores the terminal and stops reading stdin. */
  close(): void;
}

export function openTerminalSession(ctx: CliContext, choice: SessionChoice): TerminalSession {
  // process.stdin only when attached: making it loads node:fs's streams and node:fs/promises for
  // a file or /dev/null (~1.5 ms of every `berth run` without -i), and it is never read otherwise.
  const stdin = choice.stdin ? ctx.stdin as ReadStream : undefined;
  const stdout = ctx.stdout as WriteStream;
  if (choice.tty && stdin && !stdin.isTTY) {
    throw errors.invalidArgument('NOT_A_TTY', 'the input device is not a TTY');
  }
  const raw = choice.tty && stdin?.isTTY === true;
  const restore = () => {
    if (raw && stdin?.isRaw) stdin.setRawMode(false);
  };
  if (raw) {
    stdin?.setRawMode(true);
    // libuv's raw mode keeps output processing (\n → \r\n); the container's terminal already did it.
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
    process.once('exit', restore);
  }
  let onResize: (() => void) | undefined;
  const detachKeys = choice.stdin ? parseDetachKeys(choice.detachKeys ?? 'ctrl-p,ctrl-q') : undefined;
  return {
    streams: {
      ...(stdin ? { stdin } : {}),
      ...(choice.stdout ? { stdout } : {}),
      ...(choice.stderr ? { stderr: choice.tty ? stdout : ctx.stderr } : {}),
      ...(detachKeys && detachKeys.length > 0 ? { detachKeys } : {}),
    },
    followSize(engine, id) {
      this.followSizeWith((rows, cols) => void engine.containers.resize(id, rows, cols).catch(() => undefined));
    },
    followSizeWith(resize) {
      if (!choice.tty || !stdout.isTTY) return;
      const send = () => resize(stdout.rows, stdout.columns);
      onResize = send;
      stdout.on('resize', send);
      send();
    },
    close() {
      restore();
      process.off('exit', restore);
      if (onResize) stdout.off('resize', onResize);
      if (stdin) {
        stdin.pause();
        stdin.unref?.();
      }
    },
  };
}

/**
 * Docker's detach-keys syntax: comma-separated `ctrl-<letter>`, `ctrl-@`, `ctrl-[`, `ctrl-\`,
 * `ctrl-]`, `ctrl-^`, `ctrl-_` or single characters; an empty string disables detaching.
 */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') return Buffer.alloc(0);
  const bytes = spec.split(',').map((key) => {
    const k = key.trim().toLowerCase();
    if (k.length === 1) return k.charCodeAt(0);
    const m = /^ctrl-(.)$/.exec(k);
    const c = m?.[1];
    if (c !== undefined) {
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
      const specials: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
      if (specials[c] !== undefined) return specials[c];
    }
    throw errors.invalidArgument('INVALID_DETACH_KEYS', `Invalid detach keys (${spec}) provided: unknown character: '${key}'`);
  });
  return Buffer.from(bytes);
}
