import { errors } from '../base/index.js';

/** Looks a variable up in berth's own environment (`KEY` alone in an env file or `-e KEY`). */
export type EnvLookup = (name: string) => string | undefined;

const whitespace = /[ \t\n\v\f\r]/;

/**
 * Docker's env-file format (`--env-file`): one `KEY=VALUE` per line, the value taken verbatim (no
 * quote processing, no trimming of its end); `KEY` alone takes KEY from berth's environment and is
 * dropped when unset; blank lines and lines starting with `#` are skipped; leading whitespace and
 * a UTF-8 byte-order mark are ignored. A name with whitespace, an empty name or invalid UTF-8 is
 * refused (invalidArgument `BERTH_E_INVALID_ENV_FILE`) naming the file and line.
 */
export function parseEnvFile(bytes: Buffer, file: string, lookup: EnvLookup): string[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw errors.invalidArgument('INVALID_ENV_FILE', `Env file "${file}" contains invalid UTF-8`, { cause: err });
  }
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line : line.slice(0, eq);
    const bad = (why: string) => errors.invalidArgument('INVALID_ENV_FILE', `Invalid env file "${file}" line ${i + 1}: ${why}`);
    if (name === '') throw bad(`no variable name in "${line}"`);
    if (whitespace.test(name)) throw bad(`variable "${name}" contains whitespace`);
    if (eq >= 0) out.push(line);
    else {
      const value = lookup(name);
      if (value !== undefined) out.push(`${name}=${value}`);
    }
  });
  return out;
}

/**
 * `-e KEY=VALUE` or `-e KEY` (taken from berth's environment, kept bare when unset, as Docker
 * does). Refuses an empty name (`-e =value`): invalidArgument `BERTH_E_INVALID_ENV`.
 */
export function parseEnvOption(entry: string, lookup: EnvLookup): string {
  const eq = entry.indexOf('=');
  const name = eq < 0 ? entry : entry.slice(0, eq);
  if (name === '') throw errors.invalidArgument('INVALID_ENV', `Invalid environment variable "${entry}": no variable name`);
  if (eq >= 0) return entry;
  const value = lookup(name);
  return value === undefined ? entry : `${entry}=${value}`;
}
