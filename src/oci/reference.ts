import { errors } from '../base/index.js';

/**
 * A parsed image reference, normalised as Docker does: `busybox` is
 * `docker.io/library/busybox:latest`. `familiar` is the short form Docker prints (`busybox:latest`).
 */
export interface ImageReference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
  /** `domain/path[:tag][@digest]`, the key berth stores names under. */
  full: string;
  /** The short form shown to users: `busybox:latest`, `myreg:5000/app:1`. */
  familiar: string;
}

const defaultDomain = 'docker.io';
const component = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
/** distribution/reference's domain: host name labels (or a bracketed IPv6 address), optional port. */
const domainPattern = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;

export function parseReference(input: string): ImageReference {
  const invalid = (why: string) => errors.invalidArgument('INVALID_REFERENCE', `Invalid reference format "${input}": ${why}`);
  if (input === '') throw invalid('must not be empty');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw invalid('digest must be sha256:<64 hex digits>');
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) throw invalid(`tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  const parts = rest.split('/');
  let domain = defaultDomain;
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    domain = first;
    parts.shift();
    if (!domainPattern.test(domain)) throw invalid(`registry host "${domain}" is not a host name or address with an optional port`);
  }
  if (domain === defaultDomain && parts.length === 1) parts.unshift('library');
  for (const part of parts) {
    if (!component.test(part)) throw invalid(`repository name component "${part}" must be lowercase letters, digits and separators`);
  }
  const path = parts.join('/');
  // as distribution/reference: the limit is on the normalised name, not on the tag or digest
  if (`${domain}/${path}`.length > 255) throw invalid('the repository name must not be longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  const suffix = `${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
  const familiarPath = domain === defaultDomain ? path.replace(/^library\//, '') : `${domain}/${path}`;
  const ref: ImageReference = { domain, path, full: `${domain}/${path}${suffix}`, familiar: `${familiarPath}${suffix}` };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** The repository part of a familiar name: `busybox:1` → `busybox`. */
export function familiarRepository(ref: ImageReference): string {
  return ref.domain === defaultDomain ? ref.path.replace(/^library\//, '') : `${ref.domain}/${ref.path}`;
}

/**
 * A registry host as `login`, `logout` and config.json name it, from what a user typed
 * (`localhost:5000`, `https://ghcr.io/`, `docker.io`): Docker Hub is `docker.io`.
 */
export function registryDomain(server: string): string {
  const host = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  if (host === '' ) throw errors.invalidArgument('INVALID_REGISTRY', `Invalid registry "${server}"`);
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

/** The key of a registry's entry in config.json's `auths`: Docker Hub's is `https://index.docker.io/v1/`, others their host. */
export function registryAuthKey(domain: string): string {
  return domain === 'docker.io' ? 'https://index.docker.io/v1/' : domain;
}
