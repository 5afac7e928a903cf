import { errors, shortId } from '../../base/index.js';
import { ago, humanSize, renderFormat, rfc3339NanoFixed } from '../../api/index.js';
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
    human: { kind: 'bool', short: 'H', description: 'Print sizes and dates in human readable format (default true)' },
  },
  async run(ctx, args) {
    const [ref, ...extra] = args.positionals;
    if (ref === undefined || extra.length > 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth history" requires exactly 1 argument', { hint: "See 'berth history --help'" });
    const engine = ctx.engine();
    const image = await engine.images.resolve(ref);
    // Docker's layer sizes are the unpacked files' bytes; an engine that does not say gives the blobs'.
    const sizes = (await engine.images.hostFacts?.(image.id))?.layerSizes ?? image.manifest.layers.map((l) => l.size);
    const noTrunc = flagBool(args, 'no-trunc');
    // -H=false: dates as RFC 3339 and sizes in bytes (the docker CLI's historyContext).
    const human = args.flags.get('human') !== false;
    const history = image.config.history ?? [];
    const layers = [...sizes];
    const now = Date.now();
    // Each history entry that is not an empty layer made the next layer, bottom first.
    const rows = history.map((entry) => {
      const size = entry.empty_layer === true ? 0 : (layers.shift() ?? 0);
      const createdBy = (entry.created_by ?? '').replace(/\t/g, ' ');
      return {
        ID: '<missing>',
        CreatedSince: !human ? rfc3339Seconds(entry.created) : entry.created ? ago(entry.created, now) : 'N/A',
        CreatedAt: rfc3339Seconds(entry.created),
        CreatedBy: noTrunc || [...createdBy].length <= 45 ? createdBy : `${[...createdBy].slice(0, 44).join('')}…`,
        Size: human ? humanSize(size) : String(size),
        Comment: entry.comment ?? '',
      };
    }).reverse();
    const top = rows[0];
    if (top) top.ID = noTrunc ? image.id : shortId(image.id);
    if (flagBool(args, 'quiet')) {
      ctx.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
      return 0;
    }
    const format = flagString(args, 'format') ?? (human ? 'table' : 'table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}');
    return writeFormatted(ctx, () => renderFormat(format, rows, table), listFormatErrors);
  },
};

/** Go's `time.Unix(s, 0).Format(time.RFC3339)` in the local zone: `2026-11-30T04:08:33Z`. */
function rfc3339Seconds(iso: string | undefined): string {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  if (Number.isNaN(ms)) return '0001-01-01T00:00:00Z';
  return rfc3339NanoFixed(BigInt(Math.floor(ms / 1000)) * 1_000_000_000n).replace(/\.\d+/, '');
}
