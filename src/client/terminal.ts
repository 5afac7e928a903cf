/**
 * The user's terminal for a remote `exec -it`: the Engine's exec takes descriptors (0, 1, 2), as
 * the local runtime runs the command on them; a remote one reads and writes them through Node's
 * streams instead, with the terminal in raw mode while a TTY session lasts.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { ReadStream, WriteStream } from 'node:tty';

type Fd = number | 'ignore';

/** The streams of an exec's stdio descriptors: this process's own for 0, 1 and 2. */
export function stdioStreams(stdio: readonly [Fd, Fd, Fd]): { stdin?: Readable; stdout?: Writable; stderr?: Writable } {
  const [i, o, e] = stdio;
  return {
    ...(i === 'ignore' ? {} : { stdin: i === 0 ? process.stdin : createReadStream('', { fd: i, autoClose: false }) }),
    ...(o === 'ignore' ? {} : { stdout: o === 1 ? process.stdout : createWriteStream('', { fd: o, autoClose: false }) }),
    ...(e === 'ignore' ? {} : { stderr: e === 2 ? process.stderr : createWriteStream('', { fd: e, autoClose: false }) }),
  };
}

export interface RawTerminal {
  /** Sends the terminal's size now and on every change. */
  followSize(send: (rows: number, cols: number) => void): void;
  restore(): void;
}

/** Raw mode on a terminal stdin (keys go to the container as typed; its terminal echoes), restored on every way out. */
export function rawTerminal(stdin: Readable, stdout: Writable | undefined): RawTerminal | undefined {
  const input = stdin as ReadStream;
  const output = stdout as WriteStream | undefined;
  const raw = input.isTTY === true;
  const restore = () => {
    if (raw && input.isRaw) input.setRawMode(false);
  };
  if (raw) {
    input.setRawMode(true);
    // libuv's raw mode keeps output processing (\n → \r\n); the container's terminal already did it.
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
    process.once('exit', restore);
  }
  let onResize: (() => void) | undefined;
  return {
    followSize(send) {
      if (!output?.isTTY) return;
      onResize = () => send(output.rows, output.columns);
      output.on('resize', onResize);
      onResize();
    },
    restore() {
      restore();
      process.off('exit', restore);
      if (onResize) output?.off('resize', onResize);
      input.pause();
      input.unref?.();
    },
  };
}
