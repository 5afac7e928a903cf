/**
 * Registry credentials as clients send them: `X-Registry-Auth` (pull, push: base64url of one
 * AuthConfig `{username, password, serveraddress, ...}`; `e30=` is `{}`, none) and
 * `X-Registry-Config` (build: base64url of a map from registry address to AuthConfig). The daemon
 * uses only what the request carries, never a config.json of its own host, as dockerd does.
 */
import { errors } from '../base/index.js';
import type { RegistryCredentials } from '../api/index.js';
import { registryDomain } from '../oci/index.js';
import type { ApiCall } from './api-call.js';

interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

function decode(header: string, name: string): unknown {
  try {
    // Node's base64 decoder reads both alphabets (docker-py sends the URL-safe one, as the CLI does)
    return JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8')) as unknown;
  } catch {
    throw errors.invalidArgument('INVALID_REGISTRY_AUTH', `invalid ${name} header: not base64-encoded JSON`);
  }
}

/** The credentials of one AuthConfig, or null when it holds none. Identity and registry tokens are refused, named. */
export function credentialsOf(config: AuthConfig, name: string): RegistryCredentials | null {
  let username = typeof config.username === 'string' ? config.username : '';
  let password = typeof config.password === 'string' ? config.password : '';
  if (username === '' && password === '' && typeof config.auth === 'string' && config.auth !== '') {
    const pair = Buffer.from(config.auth, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon > 0) {
      username = pair.slice(0, colon);
      password = pair.slice(colon + 1);
    }
  }
  if (username !== '' || password !== '') return { username, password };
  if (config.identitytoken || config.registrytoken) {
    throw errors.invalidArgument('REGISTRY_TOKEN_UNSUPPORTED', `${name}: identity and registry tokens are not supported by berth; log in with a username and password`);
  }
  return null;
}

/** `X-Registry-Auth`: the credentials sent, null for none; undefined when the header is absent. */
export function registryAuth(call: ApiCall): RegistryCredentials | null | undefined {
  const header = call.req.headers['x-registry-auth'];
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  const parsed = decode(header, 'X-Registry-Auth');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null;
  return credentialsOf(parsed, 'X-Registry-Auth');
}

/** `X-Registry-Config`: credentials by registry domain (`docker.io`, `localhost:5000`); empty when absent. */
export function registryConfig(call: ApiCall): Record<string, RegistryCredentials> {
  const header = call.req.headers['x-registry-config'];
  const out: Record<string, RegistryCredentials> = {};
  if (typeof header !== 'string' || header.trim() === '') return out;
  const parsed = decode(header, 'X-Registry-Config');
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return out;
  for (const [server, config] of Object.entries(parsed as Record<string, unknown>)) {
    if (config === null || typeof config !== 'object') continue;
    let credentials: RegistryCredentials | null;
    try {
      credentials = credentialsOf(config, `X-Registry-Config (${server})`);
    } catch {
      // a token-only entry (the CLI sends every stored login): that registry is pulled from anonymously
      continue;
    }
    if (credentials === null) continue;
    let domain: string;
    try {
      domain = registryDomain(server);
    } catch {
      continue;
    }
    out[domain] = credentials;
  }
  return out;
}
