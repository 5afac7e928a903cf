/**
 * A `WWW-Authenticate` challenge (RFC 7235) as registries send it: `Bearer realm="...",
 * service="...",scope="..."` or `Basic realm="..."`. Undefined when the header is not one.
 */
export interface AuthChallenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

export function parseChallenge(header: string | undefined): AuthChallenge | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  const paramPattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = m[2] as string;
  paramPattern.lastIndex = 0;
  for (let p = paramPattern.exec(rest); p; p = paramPattern.exec(rest)) {
    params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    if (paramPattern.lastIndex >= rest.length) break;
  }
  return { scheme, params };
}
