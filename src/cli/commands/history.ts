import { errors, shortId } from '../../base/index.js';
import { ago, humanSize, renderFormat } from '../../api/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { listFormatErrors, writeFormatted } from '../format-output.js';

const table = {
  structType: '*formatter.historyContext',
  defaultTable: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
  headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
};

export const historyCommand: Command = {
  name: 'history',
  usage: 'history [OPTIONS] IMAGE',
  description: 'Show the history of an image',
  flags: {
    'no-trunc': { kind: 'bool', description: "Don't truncate output" },
    quiet: { kind: 'bool', short: 'q', description: 'Only show image IDs' },
    format: { kind: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template", value: 'string' },
  },
  async run(ctx, args) {
    const [ref, ...extra] = args.positionals;
    if (ref === undefined || extra.length > 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth history" requires exactly 1 argument', { hint: "See 'berth history --help'" });
    const image = await ctx.engine().images.resolve(ref);
    const noTrunc = flagBool(args, 'no-trunc');
    const history = image.config.history ?? [];
    const layers = [...image.manifest.layers];
    const now = Date.now();
    // Each history entry that is not an empty layer made the next layer, bottom first.
    const rows = history.map((entry) => {
      const size = entry.empty_layer === true ? 0 : (layers.shift()?.size ?? 0);
      const createdBy = (entry.created_by ?? '').replace(/\t/g, ' ');
      return {
        ID: '<missing>',
        CreatedSince: entry.created ? ago(entry.created, now) : 'N/A',
        CreatedAt: entry.created ?? '',
        CreatedBy: noTrunc || [...createdBy].length <= 45 ? createdBy : `${[...createdBy].slice(0, 44).join('')}…`,
        Size: humanSize(size),
        Comment: entry.comment ?? '',
      };
    }).reverse();
    const top = rows[0];
    if (top) top.ID = noTrunc ? image.id : shortId(image.id);
    if (flagBool(args, 'quiet')) {
      ctx.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
      return 0;
    }
    return writeFormatted(ctx, () => renderFormat(flagString(args, 'format') ?? 'table', rows, table), listFormatErrors);
  },
};
