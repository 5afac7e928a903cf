/**
 * `berth system prune [-a] [--volumes] [-f] [--filter F]`: as the docker CLI composes it — stopped
 * containers, networks no running container uses, (with --volumes) unused anonymous volumes,
 * dangling images (-a: every image no container uses), unused build cache (-a: all of it) — plus
 * berth's own: what killed builds, imports and containers left, and every blob and snapshot
 * nothing refers to any more. "Total reclaimed space" is what left the disk, measured as `du -sb`
 * counts it before each thing went. Nothing a running container uses (its image, volumes,
 * networks) is removed, and the collection runs only when no build, import or container creation
 * is under way.
 */
import { errors } from '../../base/index.js';
import { humanSize, pruneImagesFiltered, pruneNetworksFiltered } from '../../api/index.js';
import { flagBool, flagList } from '../args.js';
import type { Command } from '../command.js';
import { confirm } from '../command-group.js';

function warning(all: boolean, volumes: boolean): string {
  return ['WARNING! This will remove:',
    '  - all stopped containers',
    '  - all networks not used by at least one container',
    ...(volumes ? ['  - all anonymous volumes not used by at least one container'] : []),
    all ? '  - all images without at least one container associated to them' : '  - all dangling images',
    all ? '  - all build cache' : '  - unused build cache',
    '', 'Are you sure you want to continue? [y/N] '].join('\n');
}

const section = (title: string, lines: readonly string[]) => (lines.length > 0 ? `${title}:\n${lines.map((l) => `${l}\n`).join('')}\n` : '');

export const systemPruneCommand: Command = {
  name: 'system prune',
  usage: 'system prune [OPTIONS]',
  description: 'Remove unused data: stopped containers, networks no running container uses, dangling images\n(-a: every image no container uses), unused build cache (-a: all of it), with --volumes unused\nanonymous volumes; and what killed builds, imports and containers left. Total reclaimed space\nis what left the disk (as du -sb counts it)',
  flags: {
    all: { kind: 'bool', short: 'a', description: 'Remove all unused images not just dangling ones' },
    force: { kind: 'bool', short: 'f', description: 'Do not prompt for confirmation' },
    volumes: { kind: 'bool', description: 'Prune anonymous volumes' },
    filter: { kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>", "label=KEY[=VALUE]", "label!=KEY")', value: 'filter' },
  },
  async run(ctx, args) {
    if (args.positionals.length > 0) {
      throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth system prune" accepts no arguments', { hint: "See 'berth system prune --help'" });
    }
    const all = flagBool(args, 'all');
    const volumes = flagBool(args, 'volumes');
    // Each prune takes the filters it knows, as the docker CLI hands them out: the build cache only
    // `until` (Docker's drops labels there), volumes no `until` (Docker refuses it).
    const filters = flagList(args, 'filter');
    const isUntil = (f: string) => f.startsWith('until=');
    if (volumes && filters.some(isUntil)) throw errors.invalidArgument('INVALID_FILTER', 'The "until" filter is not supported with "--volumes"');
    if (!flagBool(args, 'force') && !(await confirm(ctx, warning(all, volumes)))) return 0;
    const engine = ctx.engine();
    const containers = await engine.containers.prune({ filters }, ctx.operation());
    ctx.stdout.write(section('Deleted Containers', containers.deleted));
    // What killed processes left (a dead build's work, a killed container's networking) goes before the networks it names.
    const gc = await engine.system.gc();
    ctx.stdout.write(section('Deleted Networks', await pruneNetworksFiltered(engine, filters)));
    let reclaimed = containers.spaceReclaimed + gc.spaceReclaimed;
    if (volumes) {
      const pruned = await engine.volumes.prune({ all: false, filters });
      ctx.stdout.write(section('Deleted Volumes', pruned.removed));
      reclaimed += pruned.reclaimedBytes;
    }
    const images = await pruneImagesFiltered(engine, [...filters, ...(all ? ['dangling=false'] : [])]);
    ctx.stdout.write(section('Deleted Images', [...images.untagged.map((n) => `untagged: ${n}`), ...images.deleted.map((id) => `deleted: ${id}`)]));
    // The build cache's records; then the collection frees them and the images' content.
    const cache = gc.skipped === undefined ? await engine.system.pruneBuildCache({ all, filters: filters.filter(isUntil) }) : { deleted: [], spaceReclaimed: 0, skipped: gc.skipped };
    ctx.stdout.write(section('Deleted build cache objects', cache.deleted));
    ctx.stdout.write(section('Deleted leftovers of interrupted work', gc.leftovers));
    reclaimed += cache.spaceReclaimed;
    ctx.stdout.write(`Total reclaimed space: ${humanSize(reclaimed, 4)}\n`);
    const skipped = gc.skipped ?? cache.skipped;
    if (skipped !== undefined) {
      ctx.stderr.write(`berth: images' content and the build cache not collected: ${skipped}; try again when it has finished\n`);
      return 1;
    }
    return 0;
  },
};
