/** `--flag` parsing for instructions, with BuildKit's BFlags rules. */
import { DockerfileErrorCode as Code, problem } from './parse-error.js';
import { suggest } from './text.js';

export type FlagKind = 'bool' | 'string' | 'strings';
export type FlagSpec = Readonly<Record<string, FlagKind>>;

export interface ParsedFlags {
  /** Flags given, by name: bool flags as 'true'/'false', string flags as their value. */
  values: Map<string, string>;
  /** Repeatable flags (`--mount`, `--exclude`) in order. */
  lists: Map<string, string[]>;
}

/**
 * Reads the flag words of one instruction against what it accepts. A word `--` ends the flags.
 * Throws DOCKERFILE_FLAG for an unknown flag (with a suggestion), a duplicate, or a missing value.
 */
export function parseFlags(words: readonly string[], spec: FlagSpec): ParsedFlags {
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  for (const word of words) {
    if (word === '--') break;
    if (!word.startsWith('--')) throw problem(Code.flag, `Flag "${word}" should start with --`);
    const eq = word.indexOf('=');
    const flagName = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? undefined : word.slice(eq + 1);
    const name = flagName.slice(2);
    const kind = Object.prototype.hasOwnProperty.call(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      const close = suggest(name, Object.keys(spec), true);
      throw problem(Code.flag, `Unknown flag "${flagName}"`, close === undefined ? undefined : `did you mean --${close}?`);
    }
    if (kind !== 'strings' && values.has(name)) throw problem(Code.flag, `Duplicate flag specified: "${flagName}"`);
    if (kind === 'bool') {
      if (value === '') throw problem(Code.flag, `Missing a value on flag "${flagName}"`);
      const v = (value ?? 'true').toLowerCase();
      if (v !== 'true' && v !== 'false') {
        throw problem(Code.flag, `Expecting boolean value for flag "${flagName}", not "${value ?? ''}"`);
      }
      values.set(name, v);
      continue;
    }
    if (value === undefined) throw problem(Code.flag, `Missing a value on flag "${flagName}"`);
    if (kind === 'string') values.set(name, value);
    else lists.set(name, [...(lists.get(name) ?? []), value]);
  }
  return { values, lists };
}

/** Spread helper for optional string properties under exactOptionalPropertyTypes. */
export function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
