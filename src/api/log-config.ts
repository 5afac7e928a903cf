import { errors } from '../base/index.js';
import type { LogConfig } from '../core/containers/index.js';
import { parseBytes } from '../core/spec/index.js';

/**
 * `--log-driver` and `--log-opt` (the Engine API's HostConfig.LogConfig as `key=value` options):
 * the drivers berth writes, and the options each takes, with Docker's messages.
 */
export function parseLogConfig(driver: string, opts: readonly string[]): LogConfig {
  if (driver !== 'json-file' && driver !== 'local' && driver !== 'none') {
    throw errors.invalidArgument('INVALID_LOG_DRIVER', `logger: no log driver named '${driver}' is registered: berth writes json-file, local and none`);
  }
  const config: Record<string, string> = {};
  for (const opt of opts) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? '' : opt.slice(eq + 1);
    // json-file also writes attrs into each entry (services/log-attrs.ts); `local` has no place for them, as in Docker.
    const known = driver === 'json-file' ? ['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'] : ['max-size', 'max-file', 'compress'];
    if (driver === 'none' || !known.includes(key)) {
      throw errors.invalidArgument('INVALID_LOG_OPT', `unknown log opt '${key}' for ${driver} log driver`);
    }
    if (key === 'max-size') parseBytes(value);
    if (key === 'max-file' && !(/^\d+$/.test(value) && Number(value) >= 1)) {
      throw errors.invalidArgument('INVALID_LOG_OPT', `invalid value for max-file: ${value}: must be a number of at least 1`);
    }
    if (key === 'compress' && value !== 'true' && value !== 'false') {
      throw errors.invalidArgument('INVALID_LOG_OPT', `error reading compress log option: strconv.ParseBool: parsing "${value}": invalid syntax`);
    }
    config[key] = value;
  }
  if (driver === 'json-file' && config['max-file'] !== undefined && Number(config['max-file']) > 1 && config['max-size'] === undefined) {
    throw errors.invalidArgument('INVALID_LOG_OPT', 'max-file cannot be set without max-size');
  }
  return { type: driver, config };
}
