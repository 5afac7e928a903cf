/**
 * X-Registry-Auth for pull and push through a daemon: the credentials `berth login` (or
 * `docker login`) stored for the registry in `$DOCKER_CONFIG/config.json` (`auths[KEY].auth`,
 * base64 `user:password`), as the docker CLI sends them; `{}` without. Credential helpers are not
 * asked.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import type { RegistryCredentials } from '../api/index.js';
import { registryAuthKey } from '../oci/index.js';

/** `credentials` given (a caller's own, or null for anonymous) win over config.json's. */
export function registryAuthHeader(domain: string, credentials?: RegistryCredentials | null): string {
  const empty = Buffer.from('{}').toString('base64url');
  if (credentials === null) return empty;
  if (credentials !== undefined) return Buffer.from(JSON.stringify({ username: credentials.username, password: credentials.password, serveraddress: domain })).toString('base64url');
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(readFileSync(join(process.env['DOCKER_CONFIG'] ?? join(homedir(), '.docker'), 'config.json'), 'utf8')) as typeof config;
  } catch {
    return empty;
  }
  const entry = config.auths?.[registryAuthKey(domain)];
  if (!entry) return empty;
  let username = entry.username;
  let password = entry.password;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  if (username === undefined || password === undefined) return empty;
  return Buffer.from(JSON.stringify({ username, password, serveraddress: domain })).toString('base64url');
}
