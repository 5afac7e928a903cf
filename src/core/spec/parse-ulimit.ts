import { errors } from '../../base/index.js';

/** `--ulimit` names Docker accepts, mapped to their RLIMIT_* type. */
export const ulimitTypes: Readonly<Record<string, string>> = Object.freeze({
  as: 'RLIMIT_AS',
  core: 'RLIMIT_CORE',
  cpu: 'RLIMIT_CPU',
  data: 'RLIMIT_DATA',
  fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK',
  msgqueue: 'RLIMIT_MSGQUEUE',
  nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS',
  rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING',
  stack: 'RLIMIT_STACK',
});

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

function limit(value: string, text: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw errors.invalidArgument('INVALID_ULIMIT', `Invalid ulimit "${text}": "${value}" is not a number`);
  }
  return Number(value);
}

/**
 * Parses Docker's `--ulimit name=soft[:hard]` ("nofile=1024:2048", "nproc=64"); a missing hard
 * limit equals the soft one. Throws invalidArgument `BERTH_E_INVALID_ULIMIT` for an unknown name,
 * a non-numeric value or soft > hard.
 */
export function parseUlimit(text: string): Ulimit {
  const eq = text.indexOf('=');
  const name = eq === -1 ? text : text.slice(0, eq);
  if (eq === -1) throw errors.invalidArgument('INVALID_ULIMIT', `Invalid ulimit "${text}": expected name=soft[:hard]`);
  if (!Object.hasOwn(ulimitTypes, name)) throw errors.invalidArgument('INVALID_ULIMIT', `Invalid ulimit "${text}": unknown name "${name}"`);
  const [softText = '', hardText, ...rest] = text.slice(eq + 1).split(':');
  if (rest.length > 0) throw errors.invalidArgument('INVALID_ULIMIT', `Invalid ulimit "${text}": too many colons`);
  const soft = limit(softText, text);
  const hard = hardText === undefined ? soft : limit(hardText, text);
  if (soft > hard) throw errors.invalidArgument('INVALID_ULIMIT', `Invalid ulimit "${text}": soft limit ${soft} exceeds hard limit ${hard}`);
  return { name, soft, hard };
}
