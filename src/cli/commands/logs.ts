import { errors } from '../../base/index.js';
import type { LogsOptions } from '../../api/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';

export const logsCommand: Command = {
  name: 'logs',
  usage: 'logs [OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  flags: {
    follow: { kind: 'bool', short: 'f', description: 'Follow log output' },
    tail: { kind: 'string', short: 'n', description: 'Number of lines to show from the end of the logs (default "all")', value: 'string' },
    since: { kind: 'string', description: 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)', value: 'string' },
    until: { kind: 'string', description: 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)', value: 'string' },
    timestamps: { kind: 'bool', short: 't', description: 'Show timestamps' },
    details: { kind: 'bool', description: 'Show extra details provided to logs' },
  },
  async run(ctx, args) {
    if (args.positionals.length !== 1) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth logs" requires exactly 1 argument', { hint: "See 'berth logs --help'" });
    const options: LogsOptions = {
      follow: flagBool(args, 'follow'),
      timestamps: flagBool(args, 'timestamps'),
      details: flagBool(args, 'details'),
      stdout: ctx.stdout,
      stderr: ctx.stderr,
    };
    const tail = flagString(args, 'tail');
    if (tail !== undefined && tail !== 'all') {
      if (!/^\d+$/.test(tail)) throw errors.invalidArgument('INVALID_TAIL', `invalid value for "tail": "${tail}" is not a number or "all"`);
      options.tail = Number(tail);
    }
    const now = Date.now() / 1000;
    const since = flagString(args, 'since');
    if (since !== undefined) options.since = parseTimestamp(since, now, 'since');
    const until = flagString(args, 'until');
    if (until !== undefined) options.until = parseTimestamp(until, now, 'until');
    await ctx.engine().containers.logs(args.positionals[0] as string, options);
    return 0;
  },
};

/**
 * Docker's time arguments: a Go duration before now (`10m`, `1h30m`, `1.5s`), Unix seconds
 * (`1700000000`, `1700000000.5`), or an RFC 3339 date or date-time (a missing zone is local).
 */
export function parseTimestamp(value: string, nowSeconds: number, flag: string): number {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    let seconds = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) seconds += Number(m[1]) * (units[m[2] as string] ?? 0);
    return nowSeconds - seconds;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(ms)) return ms / 1000;
  throw errors.invalidArgument('INVALID_TIMESTAMP', `invalid value for "${flag}": failed to parse value as time or duration: "${value}"`);
}
