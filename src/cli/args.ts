import { errors } from '../base/index.js';

export type FlagKind = 'bool' | 'string' | 'list';

export interface FlagSpec {
  kind: FlagKind;
  short?: string;
  description: string;
  /** Placeholder shown in help, e.g. `NAME`. */
  value?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export interface Parsed {
  flags: Map<string, string | boolean | string[]>;
  positionals: string[];
}

/**
 * Parses Docker-style arguments: `--name=x`, `--name x`, `-e K=V`, clustered bool shorts (`-it`),
 * repeatable list flags. With `stopAtPositional` (run, exec) the first positional ends the flags,
 * so `run IMAGE ls -l` leaves `-l` to the container's command.
 */
export function parseArgs(argv: readonly string[], specs: FlagSpecs, options: { stopAtPositional?: boolean; command: string; usage?: string }): Parsed {
  const flags = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  const byShort = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([name, s]) => [s.short as string, name]));
  const hint = options.usage === undefined ? `See 'berth ${options.command} --help'` : usageHint(options.command, options.usage);
  const unknown = (flag: string) => errors.invalidArgument('UNKNOWN_FLAG', `unknown flag: ${flag}`, { hint });
  const set = (name: string, spec: FlagSpec, value: string | undefined, next: () => string) => {
    if (spec.kind === 'bool') {
      flags.set(name, value === undefined ? true : !['false', '0'].includes(value));
      return;
    }
    const v = value ?? next();
    if (spec.kind === 'list') flags.set(name, [...((flags.get(name) as string[] | undefined) ?? []), v]);
    else flags.set(name, v);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw errors.invalidArgument('FLAG_NEEDS_VALUE', `flag needs an argument: ${arg}`, { hint });
      return v;
    };
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = specs[name];
      if (!spec) throw unknown(`--${name}`);
      set(name, spec, eq >= 0 ? arg.slice(eq + 1) : undefined, next);
    } else if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const name = byShort.get(arg[j] as string);
        const spec = name ? specs[name] : undefined;
        if (!name || !spec) throw unknown(`-${arg[j]}`);
        if (spec.kind === 'bool') {
          // `-H=false`, as pflag takes it.
          if (arg[j + 1] === '=') {
            set(name, spec, arg.slice(j + 2), next);
            break;
          }
          set(name, spec, undefined, next);
          continue;
        }
        const rest = arg.slice(j + 1).replace(/^=/, '');
        set(name, spec, rest === '' ? undefined : rest, next);
        break;
      }
    } else {
      positionals.push(arg);
      if (options.stopAtPositional) {
        positionals.push(...argv.slice(i + 1));
        break;
      }
    }
  }
  return { flags, positionals };
}

export const flagString = (p: Parsed, name: string): string | undefined => p.flags.get(name) as string | undefined;
export const flagBool = (p: Parsed, name: string): boolean => p.flags.get(name) === true;
export const flagList = (p: Parsed, name: string): string[] => (p.flags.get(name) as string[] | undefined) ?? [];

/**
 * What the docker CLI (28) prints under a usage error (an unknown flag, a flag value it cannot
 * parse): the command's usage line and where to read more. `command` is the command as typed
 * (`container ls`), `usage` its usage line without `berth`.
 */
export function usageHint(command: string, usage: string): string {
  return `\nUsage:  berth ${usage}\n\nRun 'berth ${command} --help' for more information`;
}

/** Help text for a command: usage line, description and its flags. */
export function renderHelp(usage: string, description: string, specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.kind === 'bool' ? '' : ` ${s.value ?? (s.kind === 'list' ? 'list' : 'string')}`}`;
    return [left, s.description] as const;
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length)) + 2;
  const lines = rows.map(([l, d]) => `  ${l.padEnd(width)}${d}`);
  return `\nUsage:  berth ${usage}\n\n${description}\n${lines.length ? `\nOptions:\n${lines.join('\n')}\n` : ''}`;
}
