/**
 * `berth builder prune`: Docker's build cache command, over berth's build cache (step records,
 * their layers, cache mounts). Output and prompts are the docker CLI's (checked against docker 28
 * with dockerd 20.10).
 */
import { errors, isBerthError } from '../../base/index.js';
import { humanSize, parseBytes } from '../../api/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { commandGroup, confirm } from '../command-group.js';

/** `--keep-storage 10GB`: bytes, or the docker CLI's usage error (exit 125). */
function keepStorage(text: string | undefined): number {
  if (text === undefined) return 0;
  try {
    return parseBytes(text);
  } catch (err) {
    if (!isBerthError(err)) throw err;
    throw errors.invalidArgument('INVALID_FLAG_FORMAT', `invalid argument "${text}" for "--keep-storage" flag: invalid size: '${text}'`, { hint: "See 'berth builder prune --help'" });
  }
}

export const builderCommand: Command = commandGroup('builder', 'Manage builds', {
  prune: {
    usage: 'builder prune [OPTIONS]',
    description: 'Remove build cache\n\nWithout --all, the records whose layer no image holds ("dangling") and the cache mounts; with\n--all, every record. Least recently used first; then the layers and blobs only they kept are\ncollected. Total reclaimed space is what left the disk (as du -sb counts it).\nThe store\'s <root>/berth.json bounds the build cache after every build, evicting the least\nrecently used records no image shares: {"builder": {"gc": {"defaultKeepStorage": "10GB"}}}',
    flags: {
      all: { kind: 'bool', short: 'a', description: 'Remove all unused build cache, not just dangling ones' },
      filter: { kind: 'list', description: "Provide filter values (e.g. 'until=24h'; also 'unused-for=', 'type=', 'id=')", value: 'filter' },
      force: { kind: 'bool', short: 'f', description: 'Do not prompt for confirmation' },
      'keep-storage': { kind: 'string', description: 'Amount of disk space to keep for cache', value: 'bytes' },
    },
    async run(ctx, args) {
      if (args.positionals.length > 0) {
        throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth builder prune" accepts no arguments', { hint: "See 'berth builder prune --help'" });
      }
      const all = flagBool(args, 'all');
      const keep = keepStorage(flagString(args, 'keep-storage'));
      if (!flagBool(args, 'force') && !(await confirm(ctx, `WARNING! This will remove all ${all ? '' : 'dangling '}build cache. Are you sure you want to continue? [y/N] `))) return 0;
      const result = await ctx.engine().system.pruneBuildCache({ all, keepStorage: keep, filters: flagList(args, 'filter') });
      if (result.skipped !== undefined) {
        ctx.stderr.write(`berth: build cache not pruned: ${result.skipped}; try again when it has finished\n`);
        return 1;
      }
      if (result.deleted.length > 0) ctx.stdout.write(`Deleted build cache objects:\n${result.deleted.map((id) => `${id}\n`).join('')}\n`);
      ctx.stdout.write(`Total reclaimed space: ${humanSize(result.spaceReclaimed, 4)}\n`);
      return 0;
    },
  },
});
