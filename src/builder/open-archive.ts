/**
 * ADD's archive detection: the decompressed bytes of a local tar archive (plain, gzip, bzip2, xz),
 * or undefined when the file is not one and is copied as it is.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { errnoCode, errors, isBerthError } from '../base/index.js';

/** The first `n` bytes of `path` (fewer when it is shorter). */
async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A compressed archive that fails to decompress is copied as a plain file, as Docker does. */
const corrupt = (message: string) => errors.dataLoss('ADD_DECOMPRESS_FAILED', message);

/** `tool -dc path` as a stream; a missing tool is a named error, a failing one `corrupt`. */
function toolStream(tool: string, path: string): Readable {
  const name = basename(path);
  const child = spawn(tool, ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new PassThrough();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  child.on('error', (err) => {
    const missing = errnoCode(err) === 'ENOENT';
    out.destroy(missing ? errors.failedPrecondition('ADD_DECOMPRESSOR_MISSING', `Cannot extract "${name}": ${tool} is not installed`) : err);
  });
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => (code === 0 ? out.end() : out.destroy(corrupt(`Cannot extract "${name}": ${tool} failed: ${stderr.trim()}`))));
  out.on('close', () => child.kill());
  return out;
}

/** Reads at least `n` bytes of `stream` (fewer at its end) without losing any. */
async function peek(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= n) break;
  }
  return Buffer.concat(chunks);
}

const isDecompressError = (err: unknown) => (isBerthError(err) && err.code === 'BERTH_E_ADD_DECOMPRESS_FAILED') || /^Z_/.test(errnoCode(err) ?? '');

/**
 * The decompressed bytes of a local tar archive as a stream (gzip via zlib, bzip2 and xz via
 * their tools, never buffered whole), or undefined when the file is not a tar archive.
 */
export async function openArchive(path: string): Promise<Readable | undefined> {
  const magic = await readHead(path, 6);
  let stream: Readable;
  if (magic[0] === 0x1f && magic[1] === 0x8b) stream = createReadStream(path).pipe(createGunzip());
  else if (magic.subarray(0, 3).toString('latin1') === 'BZh') stream = toolStream('bzip2', path);
  else if (magic.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) stream = toolStream('xz', path);
  else stream = createReadStream(path);
  let head: Buffer;
  try {
    head = await peek(stream, 262);
  } catch (err) {
    stream.destroy();
    if (isDecompressError(err)) return undefined;
    throw err;
  }
  if (head.length < 262 || head.subarray(257, 262).toString('latin1') !== 'ustar') {
    stream.destroy();
    return undefined;
  }
  return Readable.from((async function* () {
    yield head;
    yield* stream;
  })());
}
