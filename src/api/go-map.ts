/**
 * A map as Go's encoding/json writes it, which is how dockerd serves every map of its answers
 * (labels, options, exposed ports, networks...): keys in byte order of their UTF-8. (Keys that are
 * array indices, such as "10", still come first and in numeric order: a JS object keeps them so.)
 */
export function goMap<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => goStringCompare(a, b)));
}

/** Go's string order (bytes of the UTF-8); JS's `<` orders UTF-16 units, which differs above U+FFFF. */
export function goStringCompare(a: string, b: string): number {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(a) && /^[\u0000-\u007f]*$/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
