/**
 * `source` cut into pieces of exactly `size` bytes, the last one shorter (none for an empty
 * source): the bodies of a chunked upload's PATCHes, each sent with its Content-Length and
 * Content-Range. At most one piece is held in memory (it is read while the one before is
 * being sent only as far as the source's own buffer allows).
 */
export async function* chunksOf(source: AsyncIterable<Buffer | Uint8Array>, size: number): AsyncGenerator<Buffer> {
  if (!(size > 0)) throw new RangeError(`chunk size ${size}`);
  let pieces: Buffer[] = [];
  let held = 0;
  for await (const data of source) {
    let chunk = Buffer.isBuffer(data) ? data : Buffer.from(data);
    while (held + chunk.length >= size) {
      const take = size - held;
      pieces.push(chunk.subarray(0, take));
      yield pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, size);
      pieces = [];
      held = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length > 0) {
      pieces.push(chunk);
      held += chunk.length;
    }
  }
  if (held > 0) yield Buffer.concat(pieces, held);
}
