/**
 * The docker CLI's `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`),
 * where `login` stores credentials and the registry client reads them: `auths[KEY].auth` is
 * base64 `user:password`, unless a credential helper (`credHelpers[KEY]`, else `credsStore`)
 * keeps them (`docker-credential-NAME store|erase`). Other fields are kept as they are.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { errnoCode, errors } from '../base/index.js';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [other: string]: unknown;
}

export function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

function readConfig(path: string): DockerConfig {
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
    return value as DockerConfig;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return {};
    throw errors.invalidArgument('INVALID_DOCKER_CONFIG', `Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function writeConfig(path: string, config: DockerConfig): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function helperOf(config: DockerConfig, key: string): string | undefined {
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  return helper !== undefined && /^[\w.-]+$/.test(helper) ? helper : undefined;
}

function runHelper(helper: string, action: 'store' | 'erase', input: string): void {
  const r = spawnSync(`docker-credential-${helper}`, [action], { input, timeout: 30_000 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.stdout.toString().trim() || r.stderr.toString().trim();
    throw errors.unavailable('CREDENTIAL_HELPER_FAILED', `Credential helper "docker-credential-${helper}" failed to ${action}: ${why}`);
  }
}

/** Stores credentials for `key`; returns where (the file, or the helper's name). */
export function storeCredentials(key: string, username: string, password: string): { path: string; helper?: string } {
  const path = dockerConfigPath();
  const config = readConfig(path);
  const helper = helperOf(config, key);
  if (helper !== undefined) {
    runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: username, Secret: password }));
    (config.auths ??= {})[key] = {};
  } else {
    (config.auths ??= {})[key] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  }
  writeConfig(path, config);
  return helper !== undefined ? { path, helper } : { path };
}

/** Forgets the credentials for `key`; false when there were none. */
export function eraseCredentials(key: string): boolean {
  const path = dockerConfigPath();
  const config = readConfig(path);
  const helper = helperOf(config, key);
  const had = config.auths?.[key] !== undefined;
  if (helper !== undefined) runHelper(helper, 'erase', key);
  if (had) {
    delete config.auths?.[key];
    writeConfig(path, config);
  }
  return had || helper !== undefined;
}
