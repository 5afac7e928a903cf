/** Go's `filepath.Clean` for slash-separated paths: lexical, no trailing slash, "" becomes ".". */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** A context-relative path as the matcher wants it: cleaned, leading "/" removed. */
export function contextPath(path: string): string {
  const clean = cleanPath(path.replace(/\\/g, '/'));
  return clean.startsWith('/') ? cleanPath(clean.slice(1)) : clean;
}
