/**
 * Docker's multiplexed stream (non-TTY attach, exec and logs): 8-byte headers, byte 0 the stream
 * (1 stdout, 2 stderr, 3 an error from the daemon), bytes 4..7 the payload's length, big-endian.
 * A TTY's stream is raw bytes.
 */
import type { Readable, Writable } from 'node:stream';

import { errors } from '../base/index.js';
import { detachKeyFilter } from '../api/index.js';
import { fromDaemon } from './docker-api.js';

/**
 * Copies `source` to the writers until it ends: demultiplexed, or as it is for a TTY. Writes wait
 * for a slow writer (back-pressure reaches the daemon). A stream-3 frame is the daemon's error.
 */
export async function copyOutput(source: Readable, out: { stdout?: Writable | undefined; stderr?: Writable | undefined }, tty: boolean): Promise<void> {
  if (tty) {
    for await (const chunk of source) await write(out.stdout, chunk as Buffer);
    return;
  }
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const kind = pending[0];
      const payload = pending.subarray(8, 8 + size);
      pending = pending.subarray(8 + size);
      if (kind === 1 || kind === 0) await write(out.stdout, payload);
      else if (kind === 2) await write(out.stderr, payload);
      else if (kind === 3) throw fromDaemon(errors.unknown('DAEMON_STREAM_ERROR', payload.toString('utf8').trim()));
      else throw errors.dataLoss('DAEMON_BAD_STREAM', `Unrecognized input header: ${kind}`);
    }
  }
}

async function write(stream: Writable | undefined, chunk: Buffer): Promise<void> {
  if (!stream || chunk.length === 0) return;
  if (!stream.write(chunk)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
      stream.on('error', done);
    });
  }
}

/**
 * Forwards a client's stdin, holding back bytes that may begin the detach keys until it is clear
 * they do not (as the docker CLI does on its side). Returns a function that stops forwarding.
 */
export function forwardStdin(stdin: Readable, to: Writable, detachKeys: Buffer | undefined, onDetach: () => void, onEnd: () => void): () => void {
  const filter = detachKeyFilter(detachKeys);
  const onData = (chunk: Buffer) => {
    const { forward, detached } = filter(chunk);
    if (forward) to.write(forward);
    if (detached) onDetach();
  };
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.off('end', onEnd);
    stdin.pause();
  };
}
