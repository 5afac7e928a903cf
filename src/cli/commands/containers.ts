import { errors, shortId } from '../../base/index.js';
import type { InspectType } from '../../api/index.js';
import { containerListRow, dockerTables, humanSize, inspectObject, inspectTypeNames, renderFormat } from '../../api/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { forEachRef, forEachRefInParallel } from '../for-each-ref.js';
import { psFormatErrors, writeFormatted, writeInspected } from '../format-output.js';

export const psCommand: Command = {
  name: 'ps',
  usage: 'ps [OPTIONS]',
  description: 'List containers',
  flags: {
    all: { kind: 'bool', short: 'a', description: 'Show all containers (default shows just running)' },
    quiet: { kind: 'bool', short: 'q', description: 'Only display container IDs' },
    'no-trunc': { kind: 'bool', description: "Don't truncate output" },
    format: { kind: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template", value: 'string' },
    filter: { kind: 'list', short: 'f', description: 'Filter output based on conditions provided (id, name, label, status, exited, health, ancestor, before, since, volume, network, publish, expose)', value: 'filter' },
    last: { kind: 'string', short: 'n', description: 'Show n last created containers (includes all states) (default -1)', value: 'int' },
    latest: { kind: 'bool', short: 'l', description: 'Show the latest created container (includes all states)' },
    size: { kind: 'bool', short: 's', description: 'Display total file sizes' },
  },
  async run(ctx, args) {
    const lastText = flagString(args, 'last');
    if (lastText !== undefined && !/^-?\d+$/.test(lastText)) {
      throw errors.invalidArgument('INVALID_FLAG_FORMAT', `invalid argument "${lastText}" for "-n, --last" flag: strconv.ParseInt: parsing "${lastText}": invalid syntax`);
    }
    // -n and -l count every state, newest first (Docker).
    const last = flagBool(args, 'latest') ? 1 : lastText !== undefined ? Number(lastText) : -1;
    const engine = ctx.engine();
    let list = await engine.containers.list({ all: flagBool(args, 'all') || last >= 0, filters: flagList(args, 'filter') });
    if (last >= 0) list = list.slice(0, last);
    const full = flagBool(args, 'no-trunc');
    if (flagBool(args, 'quiet')) {
      ctx.stdout.write(list.map((c) => `${full ? c.id : shortId(c.id)}\n`).join(''));
      return 0;
    }
    const now = Date.now();
    const rows = list.map((c) => containerListRow(c, { trunc: !full, now }));
    const withSize = flagBool(args, 'size');
    if (withSize) {
      // Docker's SIZE column: the writable layer, and with the image as "virtual".
      for (const [i, c] of list.entries()) {
        const { sizeRw, sizeRootFs } = await engine.containers.sizes(c.id);
        (rows[i] as { Size: string }).Size = `${humanSize(sizeRw)} (virtual ${humanSize(sizeRootFs)})`;
      }
    }
    const table = withSize ? `${dockerTables.container.defaultTable}\t{{.Size}}` : 'table';
    return writeFormatted(ctx, () => renderFormat(flagString(args, 'format') ?? table, rows, dockerTables.container), psFormatErrors);
  },
};

export const rmCommand: Command = {
  name: 'rm',
  usage: 'rm [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  flags: {
    force: { kind: 'bool', short: 'f', description: 'Force the removal of a running container' },
    volumes: { kind: 'bool', short: 'v', description: 'Remove anonymous volumes associated with the container' },
  },
  async run(ctx, args) {
    if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth rm" requires at least 1 argument');
    return forEachRefInParallel(ctx, args.positionals, async (ref) => {
      await ctx.engine().containers.remove(ref, { force: flagBool(args, 'force'), volumes: flagBool(args, 'volumes') });
    });
  },
};

export const inspectCommand: Command = {
  name: 'inspect',
  usage: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on containers, images, networks and volumes, as JSON',
  flags: {
    type: { kind: 'string', description: 'Only inspect objects of the given type (container, image, network, volume)', value: 'string' },
    format: { kind: 'string', short: 'f', description: 'Format output using a custom Go template', value: 'string' },
    size: { kind: 'bool', short: 's', description: 'Display total file sizes if the type is container' },
  },
  async run(ctx, args) {
    if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth inspect" requires at least 1 argument');
    const type = args.flags.get('type') as string | undefined;
    if (type !== undefined && !(inspectTypeNames as readonly string[]).includes(type)) {
      // The docker CLI's own message, and its exit code 1.
      ctx.stderr.write(`unknown type: "${type}": must be one of ${inspectTypeNames.map((t) => `"${t}"`).join(', ')}\n`);
      return 1;
    }
    const engine = ctx.engine();
    const out: unknown[] = [];
    const size = flagBool(args, 'size');
    // A typed lookup's miss is the daemon's answer; an untyped one's is the docker CLI's `Error: No such object`.
    const prefix = type === undefined ? 'Error: ' : 'Error response from daemon: ';
    const code = await forEachRef(ctx, args.positionals, async (ref) => void out.push(await inspectObject(engine, ref, type as InspectType | undefined, { size })), prefix);
    return writeInspected(ctx, out, flagString(args, 'format'), code);
  },
};
