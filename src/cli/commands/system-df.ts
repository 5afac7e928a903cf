import { errors } from '../../base/index.js';
import { dfRows, dfVerbose, renderFormat } from '../../api/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { listFormatErrors, writeFormatted } from '../format-output.js';

export const systemDfCommand: Command = {
  name: 'system df',
  usage: 'system df [OPTIONS]',
  description: 'Show berth disk usage, in docker system df\'s layout. Sizes are bytes on disk as du -sbx counts them\n(each file once), and the four totals add up to du -sbx of the store: an image is its stored blobs\nand unpacked layers, layers shared by images count once in the total; a container is its writable\nlayer, directory (bundle, logs) and record; the build cache is its records (layers only it keeps,\ncache mounts) and whatever nothing else refers to (work of running and killed builds, content the\nnext prune collects). The store\'s bookkeeping (network records, event log) is in no row',
  flags: {
    verbose: { kind: 'bool', short: 'v', description: 'Show detailed information on space usage' },
    format: { kind: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template", value: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length > 0) throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth system df" accepts no arguments', { hint: "See 'berth system df --help'" });
    const engine = ctx.engine();
    const format = flagString(args, 'format');
    if (flagBool(args, 'verbose')) {
      if (format !== undefined) throw errors.invalidArgument('FLAG_CONFLICT', 'berth system df: --format and -v cannot be combined yet');
      const [usage, containers] = await Promise.all([engine.system.df(), engine.containers.list({ all: true })]);
      ctx.stdout.write(dfVerbose(usage, await engine.images.list(), containers));
      return 0;
    }
    const rows = dfRows(await engine.system.df());
    return writeFormatted(ctx, () => renderFormat(format ?? 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', rows, {
      headers: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
      structType: '*formatter.diskUsageImagesContext',
    }), listFormatErrors);
  },
};
