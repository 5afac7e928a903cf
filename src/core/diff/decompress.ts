/**
 * Layer decompression, told by the bytes (as dockerd does, since media types lie: dockerd labels
 * uncompressed layers it reuses as gzip). gzip goes through `unpigz` when it is installed (Debian's
 * pigz: it reads, inflates, checks and writes on separate threads, another process than berth's,
 * about twice as fast as zlib's inflate here) and Node's zlib otherwise; zstd through Debian's
 * `zstd` program (Node 20's zlib has none). A program's output is accepted only when it exits 0,
 * so a truncated or corrupt blob fails like one zlib rejects.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import { errors } from '../../base/index.js';

export type Compression = 'none' | 'gzip' | 'zstd';

/** What the first bytes (8 or more, or all there are) say the stream is. */
export function detectCompression(head: Buffer, layer: string): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  const xz = head[0] === 0xfd && head.subarray(1, 5).toString('latin1') === '7zXZ';
  const bzip2 = head.subarray(0, 3).toString('latin1') === 'BZh';
  if (xz || bzip2) {
    throw errors.notImplemented('LAYER_COMPRESSION_UNSUPPORTED', `Cannot read layer "${layer}": it is ${xz ? 'xz' : 'bzip2'}-compressed; only plain, gzip and zstd tar layers are supported`);
  }
  return 'none';
}

const found = new Map<string, string | undefined>();

/** The path of an installed program (PATH, then /usr/bin and /bin), looked up once per process. */
export function findProgram(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  let path: string | undefined;
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin', '/bin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      path = join(dir, name);
      break;
    } catch {
      // not here
    }
  }
  found.set(name, path);
  return path;
}

/** Whether gzip goes through unpigz (`BERTH_UNPIGZ=0` turns it off, for comparison). */
function unpigz(): string | undefined {
  return process.env.BERTH_UNPIGZ === '0' ? undefined : findProgram('unpigz');
}

/** Reads at least 8 bytes (or everything, if less) from `chunks`. */
async function readHead(chunks: AsyncIterator<unknown>): Promise<Buffer[]> {
  const head: Buffer[] = [];
  let length = 0;
  while (length < 8) {
    const next = await chunks.next();
    if (next.done === true) break;
    const buf = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    head.push(buf);
    length += buf.length;
  }
  return head;
}

/**
 * `input` decompressed as its first bytes say (plain input is passed through). Errors:
 * notImplemented LAYER_COMPRESSION_UNSUPPORTED (xz, bzip2, or zstd without the zstd program);
 * the returned stream fails with dataLoss LAYER_CORRUPT when a program rejects the input, and
 * with zlib's own errors (codes `Z_…`) for gzip through zlib.
 */
export async function decompress(input: Readable, layer: string): Promise<{ stream: Readable; compression: Compression }> {
  const chunks = input[Symbol.asyncIterator]();
  const head = await readHead(chunks);
  const compression = detectCompression(Buffer.concat([...head, Buffer.alloc(8)]), layer);
  const replay = Readable.from((async function* () {
    yield* head;
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value as Buffer;
  })(), { objectMode: false });
  if (compression === 'none') return { stream: replay, compression };
  if (compression === 'zstd') {
    const zstd = findProgram('zstd');
    if (zstd === undefined) {
      replay.destroy();
      throw errors.notImplemented('LAYER_COMPRESSION_UNSUPPORTED', `Cannot read layer "${layer}": it is zstd-compressed, which needs the zstd program (Debian: apt-get install zstd)`);
    }
    return { stream: throughProgram(zstd, ['-d', '-c', '-q'], replay, layer), compression };
  }
  const pigz = unpigz();
  if (pigz !== undefined) return { stream: throughProgram(pigz, ['-d', '-c', '-q'], replay, layer), compression };
  const gunzip = createGunzip();
  replay.on('error', (err) => gunzip.destroy(err));
  return { stream: replay.pipe(gunzip), compression };
}

/**
 * The output of `program args` fed with `input`. The stream ends only after the program exited 0;
 * otherwise it fails (LAYER_CORRUPT, with the program's message). Destroying the stream (a
 * consumer that failed) kills the program; a failed input kills it and fails the stream.
 */
function throughProgram(program: string, args: string[], input: Readable, layer: string): Readable {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error }));
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  let inputError: Error | undefined;
  // EPIPE on stdin when the program gives up early: its exit status says why
  child.stdin.on('error', () => undefined);
  pipeline(input, child.stdin).catch((err: unknown) => {
    if ((err as { code?: unknown } | null)?.code === 'EPIPE') return;
    inputError ??= err instanceof Error ? err : new Error(String(err));
    child.kill('SIGKILL');
  });
  const name = program.slice(program.lastIndexOf('/') + 1);
  return Readable.from((async function* () {
    let done = false;
    try {
      for await (const chunk of child.stdout) yield chunk as Buffer;
      const status = await exited;
      done = true;
      if (inputError !== undefined) throw inputError;
      if (status.error) throw errors.unknown('LAYER_APPLY_FAILED', `Cannot apply layer "${layer}": ${name} failed: ${status.error.message}`, { cause: status.error });
      if (status.code !== 0) {
        const why = stderr.trim().split('\n').slice(-2).join('; ') || (status.signal ? `killed by ${status.signal}` : `exit status ${status.code}`);
        throw errors.dataLoss('LAYER_CORRUPT', `Cannot apply layer "${layer}": the layer is truncated or corrupt (${name}: ${why})`);
      }
    } finally {
      if (!done) {
        child.kill('SIGKILL');
        input.destroy();
      }
    }
  })(), { objectMode: false });
}

/** The sha256-able bytes of a compressed or plain blob, drained through `sink`. */
export async function drainDecompressed(input: Readable, layer: string, sink: (chunk: Buffer) => void, options: { signal?: AbortSignal } = {}): Promise<Compression> {
  const { stream, compression } = await decompress(input, layer);
  await pipeline(stream, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) sink(chunk);
  }, options.signal ? { signal: options.signal } : {});
  return compression;
}
