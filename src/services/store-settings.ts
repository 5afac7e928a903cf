/**
 * The store's settings file, `<root>/berth.json` (absent: every default). berth has no daemon
 * whose configuration would hold them, so they live with the store every command opens. Today it
 * holds the build cache limit, in the shape of Docker's daemon.json:
 *
 *   { "builder": { "gc": { "enabled": true, "defaultKeepStorage": "10GB" } } }
 *
 * `defaultKeepStorage` is a size in Docker's notation (binary units: `512MB`, `10GB`, `1.5g`) or a
 * number of bytes; after every build, records no image shares are evicted, least recently used
 * first, until what the build cache's records hold is within it (build-cache-prune.ts).
 * `enabled: false` turns that off. A value berth cannot read, or a setting it does not know, is an
 * error naming the setting and the file (InvalidArgument BERTH_E_INVALID_STORE_SETTING): a limit
 * silently ignored would let the cache grow without bound.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode, errors } from '../base/index.js';
import { parseBytes } from '../core/spec/index.js';

export interface StoreSettings {
  /** Bytes the build cache's records may hold (undefined: no limit). */
  buildCacheLimit?: number;
}

export const storeSettingsFile = (root: string) => join(root, 'berth.json');

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and checks `<root>/berth.json`. */
export function readStoreSettings(root: string): StoreSettings {
  const file = storeSettingsFile(root);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return {};
    throw err;
  }
  const bad = (setting: string, value: unknown, expected: string) =>
    errors.invalidArgument('INVALID_STORE_SETTING', `Invalid ${setting} ${JSON.stringify(value)} in ${file}: expected ${expected}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw errors.invalidArgument('INVALID_STORE_SETTING', `Cannot read the store settings ${file}: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw errors.invalidArgument('INVALID_STORE_SETTING', `Cannot read the store settings ${file}: expected a JSON object`);
  const known = (obj: Json, path: string, keys: readonly string[]) => {
    for (const key of Object.keys(obj)) {
      if (!keys.includes(key)) throw errors.invalidArgument('INVALID_STORE_SETTING', `Unknown setting "${path}${key}" in ${file} (known: ${keys.map((k) => `${path}${k}`).join(', ')})`);
    }
  };
  known(parsed, '', ['builder']);
  const builder = parsed['builder'];
  if (builder === undefined) return {};
  if (!isObject(builder)) throw bad('builder', builder, 'an object');
  known(builder, 'builder.', ['gc']);
  const gc = builder['gc'];
  if (gc === undefined) return {};
  if (!isObject(gc)) throw bad('builder.gc', gc, 'an object');
  known(gc, 'builder.gc.', ['enabled', 'defaultKeepStorage']);
  const enabled = gc['enabled'] ?? true;
  if (typeof enabled !== 'boolean') throw bad('builder.gc.enabled', enabled, 'true or false');
  const limit = gc['defaultKeepStorage'];
  if (limit === undefined) return {};
  let bytes: number;
  if (typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 0) bytes = limit;
  else if (typeof limit === 'string') {
    try {
      bytes = parseBytes(limit);
    } catch {
      throw bad('builder.gc.defaultKeepStorage', limit, 'a size such as "10GB" or "512MB", or a number of bytes');
    }
  } else throw bad('builder.gc.defaultKeepStorage', limit, 'a size such as "10GB" or "512MB", or a number of bytes');
  return enabled ? { buildCacheLimit: bytes } : {};
}
