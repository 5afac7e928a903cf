/** HEALTHCHECK, producing Docker's image-config Healthcheck. */
import { maybeJson } from './arguments.js';
import { parseFlags } from './flags.js';
import { DockerfileErrorCode as Code, problem } from './parse-error.js';
import { isGoSpace } from './text.js';
import { parseGoDuration } from './units.js';
import type { RawInstruction } from './scan-lines.js';
import type { HealthcheckConfig, HealthcheckInstruction } from './types.js';

const spec = { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' } as const;

function duration(name: string, value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  const ns = parseGoDuration(value);
  if (ns === undefined) throw problem(Code.flag, `Invalid duration "${value}" for --${name}`);
  if (ns === 0) return 0;
  if (ns < 1e6) throw problem(Code.flag, `Interval "${name}" cannot be less than 1ms`);
  return ns;
}

function retries(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (!/^[+-]?[0-9]+$/.test(value) || Math.abs(Number(value)) > 2 ** 31 - 1) {
    throw problem(Code.flag, `Invalid value "${value}" for --retries`);
  }
  const n = Number(value);
  if (n < 0) throw problem(Code.flag, `--retries cannot be negative (${n})`);
  return n;
}

function splitType(rest: string): [string, string] {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest[sep] as string)) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest[next] as string)) next++;
  return [rest.slice(0, sep), rest.slice(next)];
}

export function parseHealthcheck(raw: RawInstruction): HealthcheckInstruction {
  const base = { kind: 'HEALTHCHECK' as const, location: raw.location, original: raw.original, flags: raw.flags };
  const [typeWord, cmdText] = splitType(raw.rest);
  if (typeWord === '') throw problem(Code.syntax, 'HEALTHCHECK requires at least one argument');
  const type = typeWord.toUpperCase();
  const cmd = maybeJson(cmdText);
  const none: HealthcheckConfig = { test: ['NONE'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (type === 'NONE') {
    if (cmd.args.length !== 0) throw problem(Code.syntax, 'HEALTHCHECK NONE takes no arguments');
    return { ...base, health: none };
  }
  const f = parseFlags(raw.flags, spec);
  if (type !== 'CMD') throw problem(Code.syntax, `Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  if (cmd.args.length === 0) throw problem(Code.syntax, 'Missing command after HEALTHCHECK CMD');
  const test = cmd.json ? ['CMD', ...cmd.args] : ['CMD-SHELL', cmd.args.join(' ')];
  return {
    ...base,
    health: {
      test,
      interval: duration('interval', f.values.get('interval')),
      timeout: duration('timeout', f.values.get('timeout')),
      startPeriod: duration('start-period', f.values.get('start-period')),
      startInterval: duration('start-interval', f.values.get('start-interval')),
      retries: retries(f.values.get('retries')),
    },
  };
}
