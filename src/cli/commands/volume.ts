/**
 * `berth volume create|ls|inspect|rm|prune`: Docker's volume commands, each with its own flags.
 * Output and messages are the docker CLI's (checked against docker 20.10 and dockerd 20.10).
 */
import { errors, isBerthError, isNotFound } from '../../base/index.js';
import type { VolumeInfo } from '../../api/index.js';
import { dockerTables, humanSize, renderFormat, volumeInspectView, volumeListRow } from '../../api/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { commandGroup, confirm } from '../command-group.js';
import type { Subcommand } from '../command-group.js';
import { forEachRef } from '../for-each-ref.js';
import { listFormatErrors, writeFormatted, writeInspected } from '../format-output.js';

type Sub = Subcommand;

/** `key=value` pairs of repeated flags (`--label a=b --label c`), as the docker CLI's map/list options read them. */
function pairs(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const [k = '', v = ''] = item.split(/=(.*)/s);
    out[k] = v;
  }
  return out;
}

const subcommands: Record<string, Sub> = {
  create: {
    usage: 'volume create [OPTIONS] [VOLUME]',
    description: 'Create a volume (a random name when VOLUME is not given)',
    flags: {
      driver: { kind: 'string', short: 'd', description: 'Specify volume driver name (default "local")', value: 'string' },
      label: { kind: 'list', description: 'Set metadata for a volume', value: 'list' },
      opt: { kind: 'list', short: 'o', description: 'Set driver specific options: type=tmpfs|none, device=, o= (tmpfs options, or bind)', value: 'map' },
    },
    async run(ctx, args) {
      if (args.positionals.length > 1) throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth volume create" requires at most 1 argument');
      const opts = flagList(args, 'opt');
      for (const o of opts) if (!o.includes('=')) throw errors.invalidArgument('INVALID_VOLUME_OPTION', `invalid argument "${o}" for "-o, --opt" flag: bad format for option "${o}", expected KEY=VALUE`);
      const driver = flagString(args, 'driver');
      const volume = await ctx.engine().volumes.create({
        ...(args.positionals[0] !== undefined ? { name: args.positionals[0] } : {}),
        ...(driver !== undefined ? { driver } : {}),
        labels: pairs(flagList(args, 'label')),
        options: pairs(opts),
      });
      ctx.stdout.write(`${volume.name}\n`);
      return 0;
    },
  },
  ls: {
    usage: 'volume ls [OPTIONS]',
    description: 'List volumes',
    flags: {
      filter: { kind: 'list', short: 'f', description: "Provide filter values (e.g. 'dangling=true', 'name=REGEXP', 'label=KEY[=VALUE]', 'driver=local')", value: 'filter' },
      format: { kind: 'string', description: "Pretty-print volumes using a Go template: 'table', 'table TEMPLATE', 'json' or a Go template", value: 'string' },
      quiet: { kind: 'bool', short: 'q', description: 'Only display volume names' },
    },
    async run(ctx, args) {
      const volumes = await ctx.engine().volumes.list({ filters: flagList(args, 'filter') });
      if (flagBool(args, 'quiet')) {
        ctx.stdout.write(volumes.map((v) => `${v.name}\n`).join(''));
        return 0;
      }
      return writeFormatted(ctx, () => renderFormat(flagString(args, 'format') ?? 'table', volumes.map(volumeListRow), dockerTables.volume), listFormatErrors);
    },
  },
  inspect: {
    usage: 'volume inspect [OPTIONS] VOLUME [VOLUME...]',
    description: 'Display detailed information on one or more volumes',
    flags: { format: { kind: 'string', short: 'f', description: 'Format the output using the given Go template', value: 'string' } },
    async run(ctx, args) {
      if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth volume inspect" requires at least 1 argument');
      const found: VolumeInfo[] = [];
      // The docker CLI (28) prints dockerd's words for a missing volume: `get NAME: no such volume`.
      const code = await forEachRef(ctx, args.positionals, async (name) => {
        try {
          found.push(await ctx.engine().volumes.inspect(name));
        } catch (err) {
          throw isNotFound(err) ? new Error(`get ${name}: no such volume`) : err;
        }
      });
      const out = found.map(volumeInspectView);
      return writeInspected(ctx, out, flagString(args, 'format'), code);
    },
  },
  rm: {
    usage: 'volume rm [OPTIONS] VOLUME [VOLUME...]',
    description: 'Remove one or more volumes. You cannot remove a volume that is in use by a container, even with --force.',
    flags: { force: { kind: 'bool', short: 'f', description: 'Do not report volumes that do not exist' } },
    async run(ctx, args) {
      if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth volume rm" requires at least 1 argument');
      let code = 0;
      for (const name of args.positionals) {
        try {
          await ctx.engine().volumes.remove(name, { force: flagBool(args, 'force') });
          ctx.stdout.write(`${name}\n`);
        } catch (err) {
          if (!isBerthError(err)) throw err;
          ctx.stderr.write(`${err.kind === 'NotFound' ? 'Error' : 'Error response from daemon'}: ${err.message}\n`);
          code = 1;
        }
      }
      return code;
    },
  },
  prune: {
    usage: 'volume prune [OPTIONS]',
    description: 'Remove unused anonymous volumes, or with --all every unused volume (what docker 23+ does; docker 20.10 removed every unused volume)',
    flags: {
      all: { kind: 'bool', short: 'a', description: 'Remove all unused volumes, not just anonymous ones' },
      filter: { kind: 'list', description: "Provide filter values (e.g. 'label=<label>', 'label!=<label>')", value: 'filter' },
      force: { kind: 'bool', short: 'f', description: 'Do not prompt for confirmation' },
    },
    async run(ctx, args) {
      const all = flagBool(args, 'all');
      if (!flagBool(args, 'force')) {
        const question = `WARNING! This will remove ${all ? 'all' : 'anonymous'} local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] `;
        if (!(await confirm(ctx, question))) return 0;
      }
      const { removed, reclaimedBytes } = await ctx.engine().volumes.prune({ all, filters: flagList(args, 'filter') });
      if (removed.length > 0) ctx.stdout.write(`Deleted Volumes:\n${removed.map((n) => `${n}\n`).join('')}\n`);
      ctx.stdout.write(`Total reclaimed space: ${humanSize(reclaimedBytes)}\n`);
      return 0;
    },
  },
};
const aliases: Record<string, string> = { list: 'ls', remove: 'rm' };

export const volumeCommand: Command = commandGroup('volume', 'Manage volumes', subcommands, aliases);
