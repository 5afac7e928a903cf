/**
 * NODE_EXTRA_CA_CERTS without its start-up cost. Node 20 reads the file that variable names and
 * parses it, with its own bundled root certificates, when the process starts, before any code
 * runs: 30-40 ms on every berth command (more than a whole fully cached `berth build` does), most
 * of which never open a TLS connection. bin/berth therefore hands the variable to Node as
 * BERTH_NODE_EXTRA_CA_CERTS, bin/berth.cjs puts NODE_EXTRA_CA_CERTS back into process.env (for the
 * processes berth starts, and `-e NODE_EXTRA_CA_CERTS`), and the code that opens TLS connections
 * trusts the file's certificates itself: the registry client (`caOptions`) and ADD <url> and the
 * Debian bootstrap (`fetchTrusting`). Berth started any other way (`node bin/berth.cjs`) leaves
 * the variable to Node, and nothing here adds anything.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createSecureContext, type SecureContext } from 'node:tls';

/** The variable bin/berth moves NODE_EXTRA_CA_CERTS to. */
export const movedExtraCaVariable = 'BERTH_NODE_EXTRA_CA_CERTS';

let loaded: { file: string; certs: string[] } | undefined;

/**
 * The PEM certificates of the file bin/berth moved aside, read once; none when it moved none. A
 * file that cannot be read is skipped with Node's own warning, as Node does at start-up.
 */
export function extraCaCertificates(): string[] {
  const file = process.env[movedExtraCaVariable] ?? '';
  if (file === '') return [];
  if (loaded?.file === file) return loaded.certs;
  let certs: string[] = [];
  try {
    certs = readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  } catch (err) {
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(err as Error).message}`);
  }
  loaded = { file, certs };
  return certs;
}

const contexts = new Map<string, SecureContext>();

/**
 * TLS options that trust Node's root certificates, the moved extra ones and `more` (a registry's
 * certs.d); empty (Node's default trust) when there is nothing to add. One SecureContext per set
 * of certificates, made once per process: a context made from `ca` strings parses every one of
 * them, Node's ~140 roots too (with a system bundle as the extra file, ~60 ms here, on every TLS
 * connection), where the default context shares the roots Node parsed once and the added
 * certificates go on top of a copy (~6 ms).
 */
export function caOptions(rootCertificates: readonly string[], more: readonly string[] = []): { secureContext?: SecureContext } {
  const extra = extraCaCertificates();
  if (extra.length === 0 && more.length === 0) return {};
  const key = more.join('\n');
  let context = contexts.get(key);
  if (context === undefined) {
    context = createSecureContext();
    // SecureContext's native handle: what createSecureContext itself adds `ca` certificates through.
    const native = (context as unknown as { context?: { addCACert?: (pem: string) => void } }).context;
    if (typeof native?.addCACert === 'function') for (const pem of [...extra, ...more]) native.addCACert(pem);
    else context = createSecureContext({ ca: [...rootCertificates, ...extra, ...more] });
    contexts.set(key, context);
  }
  return { secureContext: context };
}

/**
 * `fetch` (GET, redirects followed) that trusts the moved extra certificates: the global fetch
 * when there are none; otherwise node:http and node:https with those CAs (Node 20's fetch takes
 * no CA option), answering with a web Response as fetch does. Network errors are node's (with
 * their errno codes), wrapped as fetch wraps them ("fetch failed", the error as `cause`).
 */
export async function fetchTrusting(url: string | URL, init: { signal?: AbortSignal } = {}): Promise<Response> {
  const extra = extraCaCertificates();
  if (extra.length === 0) return fetch(url, { redirect: 'follow', ...init });
  const { http, https, Readable, rootCertificates } = await import('./tls-modules.js');
  const trust = caOptions(rootCertificates);
  let current = new URL(url);
  for (let redirects = 0; ; redirects++) {
    const target = current;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const options = { ...(target.protocol === 'https:' ? trust : {}), ...(init.signal ? { signal: init.signal } : {}) };
      const req = target.protocol === 'https:' ? https.request(target, options, resolve) : http.request(target, options, resolve);
      req.on('error', (err) => reject(init.signal?.aborted ? err : new TypeError('fetch failed', { cause: err })));
      req.end();
    });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location !== undefined) {
      res.resume();
      if (redirects >= 20) throw new TypeError('fetch failed', { cause: new Error('redirect count exceeded') });
      current = new URL(location, current);
      continue;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    const body = [101, 204, 205, 304].includes(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
    return new Response(body, { status, statusText: res.statusMessage ?? '', headers });
  }
}
