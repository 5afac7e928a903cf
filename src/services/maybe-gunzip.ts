import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

/**
 * The input, gunzipped when it starts with gzip's magic bytes (`import` and `load` take both).
 * The first chunk is read to look, then handed on in front of the rest by a new stream: `unshift`
 * cannot do that, since a stream whose last chunk was read has ended (one-chunk inputs, like a
 * request body, would be lost). `empty` is the error for an input with no bytes at all.
 */
export async function maybeGunzip(input: Readable, empty: () => Error): Promise<Readable> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head = await chunks.next();
  if (head.done === true) throw empty();
  const first = Buffer.from(head.value);
  const whole = Readable.from((async function* () {
    yield first;
    for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield next.value;
  })(), { objectMode: false });
  if (first[0] !== 0x1f || first[1] !== 0x8b) return whole;
  // pipeline (not pipe) so that a read error of the input fails the gunzip stream too.
  const gunzip = createGunzip();
  pipeline(whole, gunzip).catch(() => undefined); // the error reaches the consumer through gunzip
  return gunzip;
}
