/**
 * A build context's tar with its end made whole. The docker CLI, when it adds a Dockerfile that
 * came from stdin or from outside the context (`.dockerfile.<random>`), rewrites the tar and sends
 * it without the last entry's padding and without the end-of-archive blocks (dockerd's reader
 * stops at the end of the stream). Layers are read strictly (a short one is corrupt); a context
 * is read as dockerd reads it: an archive that ends after an entry's data, or between entries,
 * gets its padding and end blocks here. One that ends inside a header is left short (corrupt).
 */
import { Readable } from 'node:stream';

const block = 512;

/** A header's size field: octal, or base-256 (the top bit of the first byte set) for large files. */
function entrySize(header: Buffer): number {
  const field = header.subarray(124, 136);
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8) || 0;
}

export function completeTar(input: AsyncIterable<Buffer | Uint8Array>): Readable {
  return Readable.from((async function* () {
    // where the current entry's data end and the next header starts, in bytes of the stream; the bytes read so far
    let dataEnd = 0;
    let next = 0;
    let position = 0;
    let ended = false;
    let header = Buffer.alloc(0);
    for await (const piece of input) {
      const chunk = Buffer.from(piece);
      yield chunk;
      if (ended) continue;
      let offset = 0;
      while (offset < chunk.length && !ended) {
        const at = position + offset;
        if (at < next) {
          offset += Math.min(next - at, chunk.length - offset);
          continue;
        }
        const take = Math.min(block - header.length, chunk.length - offset);
        header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
        offset += take;
        if (header.length < block) break;
        if (header.every((b) => b === 0)) ended = true;
        else {
          const size = entrySize(header);
          dataEnd = position + offset + size;
          next = position + offset + Math.ceil(size / block) * block;
        }
        header = Buffer.alloc(0);
      }
      position += chunk.length;
    }
    if (ended || header.length > 0) return;
    // data cut short: left as it is, for the reader to refuse
    if (position < dataEnd) return;
    // the last entry's padding, then the end blocks
    if (position < next) yield Buffer.alloc(next - position);
    yield Buffer.alloc(2 * block);
  })());
}
