/**
 * The RegistryClient over HTTP(S) with Node's http/https (no dependency): the OCI distribution
 * spec and Docker's registry v2 API.
 *
 * - Scheme: HTTPS with the system's CAs, plus `/etc/docker/certs.d/HOST/*.crt` and
 *   `/etc/berth/certs.d/HOST/*.crt` (Docker's layout). Plain HTTP only for loopback hosts
 *   (`localhost`, 127.0.0.0/8, ::1) and hosts listed in `BERTH_INSECURE_REGISTRIES`
 *   (comma-separated `host[:port]`), and for them only after HTTPS failed, as Docker does.
 * - Authentication: a 401 carries a challenge. `Basic`: the request is repeated with the user's
 *   credentials. `Bearer`: a token is fetched from the challenge's realm for
 *   `repository:NAME:pull` (or `pull,push` when pushing), with the credentials if there are
 *   any (anonymous otherwise), cached per scope, and the request repeated with it.
 * - Credentials: `~/.docker/config.json` (or `$DOCKER_CONFIG/config.json`): `auths[host]`
 *   (`auth` base64 user:password, or `username`/`password`), or the credential helper named by
 *   `credHelpers[host]` / `credsStore` (`docker-credential-NAME get`). Docker Hub's entry is
 *   `https://index.docker.io/v1/`.
 * - Redirects (blob storage) are followed, five at most, without the Authorization header when
 *   they leave the registry's host.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

import type { Digest } from '../../base/index.js';
import { caOptions, errors, isBerthError, isDigest, sha256 } from '../../base/index.js';
import type { FetchedManifest, RegistryClient } from '../../core/distribution/index.js';
import { maxManifestSize, parseChallenge } from '../../core/distribution/index.js';
import { mediaTypes, registryAuthKey } from '../../oci/index.js';
import { chunksOf } from './chunks.js';
import { probeTls, type TlsProbeAnswer } from './tls-probe.js';

const manifestAccept = [mediaTypes.ociIndex, mediaTypes.dockerManifestList, mediaTypes.ociManifest, mediaTypes.dockerManifest].join(', ');

export interface Credentials {
  username: string;
  password: string;
}

export interface HttpRegistryOptions {
  /** Hosts that may be spoken to over plain HTTP (besides loopback ones). Default: `BERTH_INSECURE_REGISTRIES`. */
  insecure?: readonly string[];
  /** Where config.json is. Default: `$DOCKER_CONFIG`, else `~/.docker`. */
  dockerConfigDir?: string;
  /** Certificate directories to look in (`DIR/HOST/*.crt`). Default: /etc/docker/certs.d, /etc/berth/certs.d. */
  certDirs?: readonly string[];
  /** Use these instead of those config.json gives (`login`); `null`: anonymous, config.json unread (the daemon's requests). */
  credentials?: Credentials | null;
  /** Blobs larger than this go up in PATCHes of this many bytes (0: always in one request). Default: the config's `chunkSize`, else `defaultChunkSize`. */
  chunkSize?: number;
}

/** Uploads larger than this are chunked: under the 100 MB request limits of common proxies, and at most two chunks in memory per upload. */
export const defaultChunkSize = 32 << 20;

/** The host to connect to for a reference's domain: Docker Hub's registry for `docker.io`. */
function registryHost(domain: string): string {
  return domain === 'docker.io' || domain === 'index.docker.io' ? 'registry-1.docker.io' : domain;
}

function hostName(host: string): string {
  return host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
}

export function isLoopbackHost(host: string): boolean {
  const name = hostName(host);
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** The credentials config.json gives for `domain`, if any. */
export function credentialsFor(domain: string, configDir: string): Credentials | undefined {
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }>; credsStore?: string; credHelpers?: Record<string, string> };
  try {
    config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as typeof config;
  } catch {
    return undefined;
  }
  const keys = domain === 'docker.io' ? [registryAuthKey(domain), 'index.docker.io', 'docker.io', 'registry-1.docker.io'] : [domain, `https://${domain}`, `http://${domain}`, `https://${domain}/v1/`, `https://${domain}/v2/`];
  const helper = keys.map((k) => config.credHelpers?.[k]).find((h) => h !== undefined) ?? config.credsStore;
  if (helper !== undefined && /^[\w.-]+$/.test(helper)) {
    const r = spawnSync(`docker-credential-${helper}`, ['get'], { input: keys[0], timeout: 30_000 });
    if (r.status === 0) {
      try {
        const out = JSON.parse(r.stdout.toString()) as { Username?: string; Secret?: string };
        if (out.Username !== undefined && out.Secret !== undefined) return { username: out.Username, password: out.Secret };
      } catch {
        // an unreadable answer: fall through to auths
      }
    }
  }
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (!entry) continue;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  }
  return undefined;
}

function extraCAs(host: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const dir of dirs) {
    const hostDir = join(dir, host);
    let names: string[];
    try {
      names = readdirSync(hostDir);
    } catch {
      continue;
    }
    for (const name of names) if (name.endsWith('.crt')) out.push(readFileSync(join(hostDir, name), 'utf8'));
  }
  return out;
}

interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | (() => Readable);
  /** The token scope this request needs: `pull` or `pull,push`. */
  actions: 'pull' | 'pull,push';
  repository: string;
  /** Another repository the request reads (a cross-repository mount's source): its pull scope is asked for too. */
  fromRepository?: string;
  signal?: AbortSignal;
}

/**
 * berth's registry settings, `/etc/berth/registries.json` (another file: `BERTH_REGISTRIES_CONFIG`):
 *
 *     { "mirrors": { "docker.io": ["https://mirror.example", "http://10.0.0.5:5000"] },
 *       "insecure": ["registry.lan:5000"] }
 *
 * `mirrors`: for pulls from a registry (any registry, not only Docker Hub as dockerd's
 * `registry-mirrors`), hosts tried first, in order, at the same repository path; when a mirror
 * fails or lacks the manifest or a blob, the next one, then the registry itself. Pushes never go
 * to mirrors; what a mirror serves is verified like anything else. A mirror's URL scheme is
 * used as written. `insecure`: hosts that may be spoken to over plain HTTP (besides loopback
 * ones and `BERTH_INSECURE_REGISTRIES`). `chunkSize`: blobs larger than this many bytes are
 * pushed in chunks (a PATCH with Content-Range each, as the distribution spec describes), 0 for
 * one request whatever the size; default 32 MiB (`defaultChunkSize`), or more when a registry
 * asks for a larger minimum (`OCI-Chunk-Min-Length`).
 */
export interface RegistriesConfig {
  mirrors?: Record<string, string[]>;
  insecure?: string[];
  chunkSize?: number;
}

export function readRegistriesConfig(path = process.env.BERTH_REGISTRIES_CONFIG ?? '/etc/berth/registries.json'): RegistriesConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw errors.invalidArgument('INVALID_REGISTRIES_CONFIG', `Cannot read ${path}: not valid JSON`, { cause: err });
  }
  const config = value as RegistriesConfig;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (typeof value !== 'object' || value === null || (config.insecure !== undefined && !strings(config.insecure))
    || (config.mirrors !== undefined && (typeof config.mirrors !== 'object' || config.mirrors === null || !Object.values(config.mirrors).every(strings)))
    || (config.chunkSize !== undefined && !(Number.isSafeInteger(config.chunkSize) && config.chunkSize >= 0))) {
    throw errors.invalidArgument('INVALID_REGISTRIES_CONFIG', `Cannot read ${path}: expected {"mirrors": {"HOST": ["URL", ...]}, "insecure": ["HOST", ...], "chunkSize": BYTES}`);
  }
  return config;
}

export function createHttpRegistryClient(domain: string, options: HttpRegistryOptions = {}): RegistryClient {
  const config = readRegistriesConfig();
  const primary = createHostClient(domain, registryHost(domain), { chunkSize: config.chunkSize ?? defaultChunkSize, ...options, insecure: [...(options.insecure ?? envInsecure()), ...(config.insecure ?? [])] });
  const mirrors = (config.mirrors?.[domain] ?? []).map((url) => {
    const parsed = new URL(url.includes('://') ? url : `https://${url}`);
    // the mirror's own credentials (config.json by its host), not those given for the registry
    const { credentials: _registrys, ...rest } = options;
    return createHostClient(parsed.host, parsed.host, { ...rest, scheme: parsed.protocol === 'http:' ? 'http' : 'https' });
  });
  if (mirrors.length === 0) return primary;
  /** A pull's read from the mirrors in order, then the registry; errors that another source may not have are tried past. */
  async function firstThatServes<T>(read: (client: RegistryClient) => Promise<T>): Promise<T> {
    for (const mirror of mirrors) {
      try {
        return await read(mirror);
      } catch (err) {
        if (!isBerthError(err) || !['NotFound', 'Unavailable', 'PermissionDenied', 'FailedPrecondition'].includes(err.kind)) throw err;
      }
    }
    return read(primary);
  }
  return {
    ...primary,
    getManifest: (repository, reference, o) => firstThatServes((c) => c.getManifest(repository, reference, o)),
    listTags: (repository, o) => firstThatServes((c) => c.listTags(repository, o)),
    fetchBlob: (repository, digest, o) => firstThatServes((c) => c.fetchBlob(repository, digest, o)),
  };
}

/** Node's codes for a server certificate that does not verify against the trusted CAs. */
const untrustedCertificateCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

function envInsecure(): string[] {
  return (process.env.BERTH_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** The TLS probe of `host`'s HTTPS port (443 unless it names one). */
function probeTlsOf(host: string): Promise<TlsProbeAnswer> {
  const url = new URL(`https://${host}/`);
  return probeTls(url.hostname.replace(/^\[(.*)\]$/, '$1'), url.port === '' ? 443 : Number(url.port));
}

function createHostClient(domain: string, host: string, options: HttpRegistryOptions & { scheme?: 'http' | 'https' }): RegistryClient {
  const insecureList = options.insecure ?? envInsecure();
  const mayUseHttp = isLoopbackHost(host) || insecureList.includes(host) || insecureList.includes(domain);
  const configDir = options.dockerConfigDir ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
  const certDirs = options.certDirs ?? ['/etc/docker/certs.d', '/etc/berth/certs.d'];
  const cas = extraCAs(host, certDirs);
  let scheme: 'https' | 'http' | undefined = options.scheme ?? (mayUseHttp ? undefined : 'https');
  // null until config.json was read; undefined: none
  let credentials: Credentials | undefined | null = options.credentials === null ? undefined : options.credentials ?? null;
  const creds = () => (credentials === null ? (credentials = credentialsFor(domain, configDir)) : credentials);
  /** Authorization headers by scope (`repository:NAME:ACTIONS`), once a challenge was answered. */
  const authorizations = new Map<string, string>();
  const chunkSize = options.chunkSize ?? defaultChunkSize;

  function send(url: URL, init: { method: string; headers: Record<string, string>; body?: Buffer | Readable; signal?: AbortSignal }): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const requester = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = requester(url, {
        method: init.method,
        headers: init.headers,
        ...(url.protocol === 'https:' ? caOptions(rootCertificates, cas) : {}),
        ...(init.signal ? { signal: init.signal } : {}),
      }, resolve);
      req.on('error', reject);
      if (init.body === undefined) req.end();
      else if (Buffer.isBuffer(init.body)) req.end(init.body);
      else {
        init.body.on('error', (err) => req.destroy(err));
        init.body.pipe(req);
      }
    });
  }

  function unavailable(err: unknown): unknown {
    if (isBerthError(err)) return err;
    if (err instanceof Error && err.name === 'AbortError') return errors.aborted('ABORTED', `The request to registry "${domain}" was cancelled`);
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && untrustedCertificateCodes.has(code)) {
      const where = certDirs.map((d) => join(d, host, 'ca.crt')).join(' or ');
      return errors.unavailable('REGISTRY_UNAVAILABLE', `Cannot reach registry "${domain}": its TLS certificate is not trusted (${message}). If the registry's certificate authority is yours, put its certificate in ${where}${cas.length > 0 ? ` (the ${cas.length} certificate(s) there do not verify it)` : ''}`, { cause: err });
    }
    return errors.unavailable('REGISTRY_UNAVAILABLE', `Cannot reach registry "${domain}": ${message}`, { cause: err });
  }

  /** The answer of the TLS probe of the registry's HTTPS port, asked once. */
  let probe: Promise<TlsProbeAnswer> | undefined;

  /** One request to the registry's own host, with the scheme settled (HTTPS, or HTTP fallback). */
  async function sendToRegistry(path: string, init: { method: string; headers: Record<string, string>; body?: Buffer | Readable; signal?: AbortSignal }): Promise<IncomingMessage> {
    if (scheme === undefined) {
      // Does the port speak TLS at all? (./tls-probe.ts): plain HTTP without building a verifying
      // TLS context for nothing; a TLS answer settles HTTPS, verified as any other.
      const answer = await (probe ??= probeTlsOf(host));
      if (answer === 'plain') scheme = 'http';
      else if (answer === 'tls') scheme = 'https';
    }
    if (scheme === undefined) {
      try {
        const res = await send(new URL(`https://${host}${path}`), init);
        scheme = 'https';
        return res;
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (!/EPROTO|WRONG_VERSION|ECONNRESET|ERR_SSL/.test(code) && !/wrong version number|EPROTO/.test(String((err as Error).message))) throw err;
        scheme = 'http';
        if (init.body !== undefined && !Buffer.isBuffer(init.body)) throw errors.unavailable('REGISTRY_RETRY', `Registry "${domain}" speaks plain HTTP; retry`);
      }
    }
    return send(new URL(`${scheme}://${host}${path}`), init);
  }

  async function token(challenge: Record<string, string>, scope: string | undefined, signal: AbortSignal | undefined, extraScope?: string): Promise<string> {
    const realm = challenge.realm;
    if (!realm) throw errors.permissionDenied('REGISTRY_UNAUTHORIZED', `Registry "${domain}" asks for a token but names no realm`);
    const url = new URL(realm);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (isLoopbackHost(url.host) || mayUseHttp))) {
      throw errors.permissionDenied('REGISTRY_UNAUTHORIZED', `Registry "${domain}" names a token service over plain HTTP ("${realm}"); refused`);
    }
    if (challenge.service) url.searchParams.set('service', challenge.service);
    if (scope !== undefined) url.searchParams.set('scope', scope);
    if (extraScope !== undefined) url.searchParams.append('scope', extraScope);
    const c = creds();
    const headers: Record<string, string> = {};
    if (c) headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    let res: IncomingMessage;
    try {
      res = await send(url, { method: 'GET', headers, ...(signal ? { signal } : {}) });
    } catch (err) {
      throw unavailable(err);
    }
    const body = await readBody(res, 1 << 20);
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw errors.permissionDenied('REGISTRY_UNAUTHORIZED', `Registry "${domain}" refused ${c ? `the credentials of "${c.username}"` : 'anonymous access'}${scope !== undefined ? ` for ${scope}` : ''}`);
    }
    if (res.statusCode !== 200) throw errors.unavailable('REGISTRY_UNAVAILABLE', `The token service of registry "${domain}" answered ${res.statusCode}`);
    let parsed: { token?: string; access_token?: string };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch {
      throw errors.unavailable('REGISTRY_UNAVAILABLE', `The token service of registry "${domain}" answered something that is not JSON`);
    }
    const value = parsed.token ?? parsed.access_token;
    if (typeof value !== 'string' || value === '') throw errors.unavailable('REGISTRY_UNAVAILABLE', `The token service of registry "${domain}" gave no token`);
    return value;
  }

  /** A request with authentication: answers one 401 challenge, then follows redirects. */
  async function call(path: string, opts: RequestOptions): Promise<IncomingMessage> {
    const scope = `repository:${opts.repository}:${opts.actions}`;
    const extraScope = opts.fromRepository !== undefined ? `repository:${opts.fromRepository}:pull` : undefined;
    const cacheKey = extraScope !== undefined ? `${scope} ${extraScope}` : scope;
    const method = opts.method ?? 'GET';
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...opts.headers };
      const auth = authorizations.get(cacheKey) ?? authorizations.get(scope);
      if (auth) headers.authorization = auth;
      const body = opts.body === undefined ? undefined : Buffer.isBuffer(opts.body) ? opts.body : opts.body();
      let res: IncomingMessage;
      try {
        res = await sendToRegistry(path, { method, headers, ...(body !== undefined ? { body } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      } catch (err) {
        if (isBerthError(err) && err.code === 'BERTH_E_REGISTRY_RETRY' && attempt === 0) continue;
        throw unavailable(err);
      }
      if (res.statusCode === 401 && attempt === 0) {
        res.resume();
        const challenge = parseChallenge(res.headers['www-authenticate']);
        if (challenge?.scheme === 'bearer') {
          authorizations.set(cacheKey, `Bearer ${await token(challenge.params, scope, opts.signal, extraScope)}`);
          continue;
        }
        const c = creds();
        if (challenge?.scheme === 'basic' && c) {
          authorizations.set(scope, `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`);
          continue;
        }
        throw errors.permissionDenied('REGISTRY_UNAUTHORIZED', `Registry "${domain}" needs credentials for ${opts.repository} (berth reads them from ${join(configDir, 'config.json')})`);
      }
      if (res.statusCode === 401 || res.statusCode === 403) {
        res.resume();
        const c = creds();
        throw errors.permissionDenied('REGISTRY_UNAUTHORIZED', `Registry "${domain}" refused ${c ? `the credentials of "${c.username}"` : 'anonymous access'} to ${opts.repository} (${opts.actions})`);
      }
      return followRedirects(res, headers, opts.signal);
    }
  }

  async function followRedirects(first: IncomingMessage, headers: Record<string, string>, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    let res = first;
    let base = new URL(`${scheme ?? 'https'}://${host}/`);
    for (let hops = 0; [301, 302, 303, 307, 308].includes(res.statusCode ?? 0); hops++) {
      const location = res.headers.location;
      res.resume();
      if (hops >= 5 || location === undefined) throw errors.unavailable('REGISTRY_UNAVAILABLE', `Registry "${domain}" redirects too often`);
      const next = new URL(location, base);
      const sameHost = next.host === host;
      const h = { ...headers };
      if (!sameHost) delete h.authorization;
      try {
        res = await send(next, { method: 'GET', headers: h, ...(signal ? { signal } : {}) });
      } catch (err) {
        throw unavailable(err);
      }
      base = next;
    }
    return res;
  }

  async function failure(res: IncomingMessage, what: string, notFound?: { code: string; message: string }): Promise<never> {
    const body = (await readBody(res, 64 << 10).catch(() => Buffer.alloc(0))).toString('utf8');
    let detail: string;
    try {
      const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
      detail = (parsed.errors ?? []).map((e) => `${e.code ?? ''}: ${e.message ?? ''}`).join('; ');
    } catch {
      detail = body.slice(0, 200);
    }
    if (res.statusCode === 404 && notFound) throw errors.notFound(notFound.code, notFound.message);
    const status = res.statusCode ?? 0;
    const message = `Registry "${domain}" answered ${status} to ${what}${detail ? `: ${detail}` : ''}`;
    if (status >= 500) throw errors.unavailable('REGISTRY_UNAVAILABLE', message);
    throw errors.failedPrecondition('REGISTRY_REFUSED', message);
  }

  /** Where an upload goes on (each answer's Location: the registry may change it every time). */
  function uploadLocation(res: IncomingMessage, what: string): URL {
    const location = res.headers.location;
    if (location === undefined) throw errors.unavailable('REGISTRY_UNAVAILABLE', `Registry "${domain}" answered ${what} without a Location`);
    const url = new URL(location, `${scheme ?? 'https'}://${host}/`);
    if (url.host !== host) throw errors.unavailable('REGISTRY_UNAVAILABLE', `Registry "${domain}" sends the upload to another host ("${url.host}"); not supported`);
    return url;
  }

  /** The chunk size for an upload the registry started: ours, or the minimum it asks for if larger (0: no chunks). */
  function chunkSizeFor(started: IncomingMessage): number {
    if (chunkSize === 0) return 0;
    const min = Number(started.headers['oci-chunk-min-length'] ?? 0);
    return Number.isSafeInteger(min) && min > chunkSize ? min : chunkSize;
  }

  /**
   * A chunked upload (the distribution spec's "chunked" flow): `body` in PATCHes of `size`
   * bytes, each with its Content-Length and Content-Range (`start-end`, inclusive), each to the
   * Location the previous answer gave; the registry's Range (bytes it holds) is checked after
   * each. Returns where the closing PUT goes.
   */
  async function uploadChunks(repository: string, start: URL, body: AsyncIterable<Buffer>, size: number, signal: AbortSignal | undefined): Promise<URL> {
    let url = start;
    let offset = 0;
    const chunks = chunksOf(body, size);
    let next = chunks.next();
    let finished = false;
    try {
      for (let item = await next; item.done !== true; item = await next) {
        const chunk = item.value;
        // the next chunk is read (a layer compressed) while this one goes up
        next = chunks.next();
        next.catch(() => undefined);
        await sendChunk(chunk);
      }
      finished = true;
    } finally {
      // a failure leaves the generator holding the body: let it go without waiting for it
      if (!finished) void chunks.return(undefined).catch(() => undefined);
    }
    return url;

    async function sendChunk(chunk: Buffer): Promise<void> {
      const res = await call(`${url.pathname}${url.search}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(chunk.length), 'content-range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk, actions: 'pull,push', repository, ...(signal ? { signal } : {}),
      });
      if (res.statusCode !== 202) return failure(res, `the chunk at ${offset} of an upload`);
      res.resume();
      offset += chunk.length;
      const range = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? ''));
      if (range && Number(range[1]) !== offset - 1) {
        throw errors.unavailable('REGISTRY_UNAVAILABLE', `Registry "${domain}" holds ${Number(range[1]) + 1} bytes of an upload after berth sent ${offset}`);
      }
      url = uploadLocation(res, `the chunk at ${offset - chunk.length} of an upload`);
    }
  }

  /** The closing PUT ?digest= of an upload whose bytes were all sent. */
  async function finishUpload(repository: string, url: URL, digest: Digest, signal: AbortSignal | undefined): Promise<void> {
    url.searchParams.set('digest', digest);
    const done = await call(`${url.pathname}${url.search}`, { method: 'PUT', headers: { 'content-length': '0' }, body: Buffer.alloc(0), actions: 'pull,push', repository, ...(signal ? { signal } : {}) });
    if (done.statusCode !== 201) return failure(done, `the end of the upload of ${digest}`);
    done.resume();
  }

  return {
    async getManifest(repository, reference, options = {}): Promise<FetchedManifest> {
      const res = await call(`/v2/${repository}/manifests/${reference}`, { headers: { accept: manifestAccept }, actions: 'pull', repository, ...(options.signal ? { signal: options.signal } : {}) });
      if (res.statusCode !== 200) {
        return failure(res, `the manifest ${repository}:${reference}`, { code: 'MANIFEST_UNKNOWN', message: `Manifest for ${domain}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference} not found: manifest unknown` });
      }
      const length = Number(res.headers['content-length'] ?? 0);
      if (length > maxManifestSize) {
        res.destroy();
        throw errors.dataLoss('MANIFEST_TOO_LARGE', `Cannot pull ${domain}/${repository}:${reference}: its manifest is ${length} bytes, over the ${maxManifestSize}-byte limit`);
      }
      const data = await readBody(res, maxManifestSize, () => errors.dataLoss('MANIFEST_TOO_LARGE', `Cannot pull ${domain}/${repository}:${reference}: its manifest is over the ${maxManifestSize}-byte limit`));
      const digest = sha256(data);
      if (isDigest(reference) && digest !== reference) {
        throw errors.dataLoss('MANIFEST_DIGEST_MISMATCH', `Registry "${domain}" served a manifest for ${repository}@${reference} whose digest is ${digest}`);
      }
      const header = res.headers['docker-content-digest'];
      if (!isDigest(reference) && typeof header === 'string' && isDigest(header) && header !== digest) {
        throw errors.dataLoss('MANIFEST_DIGEST_MISMATCH', `Registry "${domain}" says the manifest ${repository}:${reference} is ${header}, but its bytes are ${digest}`);
      }
      let mediaType = (res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      try {
        const inner = (JSON.parse(data.toString('utf8')) as { mediaType?: unknown }).mediaType;
        if (typeof inner === 'string') mediaType = inner;
      } catch {
        throw errors.dataLoss('MANIFEST_INVALID', `Registry "${domain}" served a manifest for ${repository}:${reference} that is not JSON`);
      }
      return { mediaType, digest, data };
    },
    async listTags(repository, options = {}) {
      const tags: string[] = [];
      let path: string | undefined = `/v2/${repository}/tags/list`;
      for (let page = 0; path !== undefined && page < 1000; page++) {
        const res = await call(path, { actions: 'pull', repository, ...(options.signal ? { signal: options.signal } : {}) });
        if (res.statusCode !== 200) return failure(res, `the tags of ${repository}`, { code: 'REPOSITORY_UNKNOWN', message: `Repository ${domain}/${repository} not found` });
        const body = JSON.parse((await readBody(res, 16 << 20)).toString('utf8')) as { tags?: unknown };
        if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
        // RFC 5988 pagination: Link: </v2/NAME/tags/list?last=x&n=100>; rel="next"
        const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(String(res.headers.link ?? ''))?.[1];
        path = next === undefined ? undefined : (() => {
          const url = new URL(next, `${scheme ?? 'https'}://${host}/`);
          return url.host === host ? `${url.pathname}${url.search}` : undefined;
        })();
      }
      return tags;
    },
    async fetchBlob(repository, digest, options = {}) {
      const res = await call(`/v2/${repository}/blobs/${digest}`, { actions: 'pull', repository, ...(options.signal ? { signal: options.signal } : {}) });
      if (res.statusCode !== 200) return failure(res, `the blob ${digest}`, { code: 'BLOB_UNKNOWN', message: `Registry "${domain}" has no blob ${digest} in ${repository}` });
      return res;
    },
    async hasBlob(repository, digest, options = {}) {
      const res = await call(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD', actions: 'pull,push', repository, ...(options.signal ? { signal: options.signal } : {}) });
      res.resume();
      if (res.statusCode === 200) return true;
      if (res.statusCode === 404) return false;
      return failure(res, `HEAD of blob ${digest}`);
    },
    async pushBlob(repository, blob, open, options = {}) {
      const signal = options.signal ? { signal: options.signal } : {};
      const from = options.mountFrom;
      let mount = from !== undefined && from !== repository ? `?mount=${blob.digest}&from=${encodeURIComponent(from)}` : '';
      const start = () => call(`/v2/${repository}/blobs/uploads/${mount}`, {
        method: 'POST', headers: { 'content-length': '0' }, actions: 'pull,push', repository, ...(mount !== '' ? { fromRepository: from } : {}), ...signal,
      });
      let started: IncomingMessage;
      try {
        started = await start();
      } catch (err) {
        // No read access to the mount's source (a token without its scope): upload it instead, as docker push does.
        if (mount === '' || !isBerthError(err, 'PermissionDenied')) throw err;
        mount = '';
        started = await start();
      }
      if (started.statusCode === 201 && mount !== '') {
        started.resume();
        return 'mounted';
      }
      if (started.statusCode !== 202) return failure(started, `the start of an upload of ${blob.digest}`);
      started.resume();
      const chunk = chunkSizeFor(started);
      if (chunk > 0 && blob.size > chunk) {
        const putUrl = await uploadChunks(repository, uploadLocation(started, 'the start of an upload'), open(), chunk, options.signal);
        await finishUpload(repository, putUrl, blob.digest, options.signal);
        return 'pushed';
      }
      const url = uploadLocation(started, 'the start of an upload');
      url.searchParams.set('digest', blob.digest);
      const done = await call(`${url.pathname}${url.search}`, {
        method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) }, body: open, actions: 'pull,push', repository, ...signal,
      });
      if (done.statusCode !== 201) return failure(done, `the upload of ${blob.digest}`);
      done.resume();
      return 'pushed';
    },
    async pushStream(repository, body, digest, options = {}) {
      const signal = options.signal ? { signal: options.signal } : {};
      const started = await call(`/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' }, actions: 'pull,push', repository, ...signal });
      if (started.statusCode !== 202) return failure(started, 'the start of an upload');
      started.resume();
      const chunk = chunkSizeFor(started);
      const patchUrl = uploadLocation(started, 'the start of an upload');
      let putUrl: URL;
      if (chunk > 0 && (options.sizeHint === undefined || options.sizeHint > chunk)) {
        putUrl = await uploadChunks(repository, patchUrl, body, chunk, options.signal);
      } else {
        const patched = await call(`${patchUrl.pathname}${patchUrl.search}`, {
          method: 'PATCH', headers: { 'content-type': 'application/octet-stream' }, body: () => body, actions: 'pull,push', repository, ...signal,
        });
        if (patched.statusCode !== 202) return failure(patched, 'a streamed upload');
        patched.resume();
        putUrl = uploadLocation(patched, 'a streamed upload');
      }
      await finishUpload(repository, putUrl, digest(), options.signal);
    },
    async checkLogin(options = {}) {
      const signal = options.signal ? { signal: options.signal } : {};
      let res: IncomingMessage;
      try {
        res = await sendToRegistry('/v2/', { method: 'GET', headers: {}, ...signal });
      } catch (err) {
        throw unavailable(err);
      }
      res.resume();
      if (res.statusCode === 200) return;
      if (res.statusCode !== 401) return failure(res, 'GET /v2/');
      const c = creds();
      if (!c) throw errors.permissionDenied('REGISTRY_UNAUTHORIZED', `Registry "${domain}" needs credentials`);
      const challenge = parseChallenge(res.headers['www-authenticate']);
      if (challenge?.scheme === 'bearer') {
        await token(challenge.params, undefined, options.signal);
        return;
      }
      let again: IncomingMessage;
      try {
        again = await sendToRegistry('/v2/', { method: 'GET', headers: { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` }, ...signal });
      } catch (err) {
        throw unavailable(err);
      }
      again.resume();
      if (again.statusCode === 200) return;
      if (again.statusCode === 401 || again.statusCode === 403) throw errors.permissionDenied('REGISTRY_UNAUTHORIZED', `Registry "${domain}" refused the credentials of "${c.username}"`);
      return failure(again, 'GET /v2/');
    },
    async putManifest(repository, reference, manifest, options = {}) {
      const res = await call(`/v2/${repository}/manifests/${reference}`, {
        method: 'PUT', headers: { 'content-type': manifest.mediaType, 'content-length': String(manifest.data.length) }, body: manifest.data, actions: 'pull,push', repository,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (res.statusCode !== 201) return failure(res, `the manifest ${repository}:${reference}`);
      res.resume();
      const header = res.headers['docker-content-digest'];
      return typeof header === 'string' && isDigest(header) ? header : sha256(manifest.data);
    },
  };
}

async function readBody(res: IncomingMessage, limit: number, tooLarge?: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      res.destroy();
      throw tooLarge ? tooLarge() : errors.unavailable('REGISTRY_UNAVAILABLE', `A registry answer is over ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

