import { errors } from '../../base/index.js';
import { humanSize, pruneImagesFiltered } from '../../api/index.js';
import { flagBool, flagList } from '../args.js';
import type { Command } from '../command.js';
import { confirm } from '../command-group.js';

/** `berth image prune`: reached as `image prune` (registry.ts). */
export const imagePruneCommand: Command = {
  name: 'image prune',
  usage: 'image prune [OPTIONS]',
  description: 'Remove unused images: untagged ones no container uses (-a: every image no container uses), then the content nothing refers to',
  flags: {
    all: { kind: 'bool', short: 'a', description: 'Remove all unused images, not just dangling ones' },
    force: { kind: 'bool', short: 'f', description: 'Do not prompt for confirmation' },
    filter: { kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>", "label=KEY[=VALUE]", "label!=KEY")', value: 'filter' },
  },
  async run(ctx, args) {
    if (args.positionals.length > 0) {
      throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth image prune" accepts no arguments', { hint: "See 'berth image prune --help'" });
    }
    const all = flagBool(args, 'all');
    const warning = all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
    if (!flagBool(args, 'force') && !(await confirm(ctx, `${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
    const engine = ctx.engine();
    // -a is the filter dangling=false, as the docker CLI sends it.
    const { untagged, deleted } = await pruneImagesFiltered(engine, [...flagList(args, 'filter'), ...(all ? ['dangling=false'] : [])]);
    if (untagged.length + deleted.length > 0) {
      ctx.stdout.write(`Deleted Images:\n${untagged.map((n) => `untagged: ${n}\n`).join('')}${deleted.map((id) => `deleted: ${id}\n`).join('')}\n`);
    }
    // Forgotten images free their blobs and layers with the collection: that is the space reclaimed.
    const { spaceReclaimed, skipped } = await engine.system.gc();
    if (skipped !== undefined) ctx.stderr.write(`berth: content not collected yet: ${skipped}; berth system prune collects it later\n`);
    ctx.stdout.write(`Total reclaimed space: ${humanSize(spaceReclaimed, 4)}\n`);
    return 0;
  },
};
