import { errors } from '../../base/index.js';
import { dockerTables, filterImages, imageListRows, renderFormat } from '../../api/index.js';
import { parseReference } from '../../oci/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { forEachRef } from '../for-each-ref.js';
import { listFormatErrors, writeFormatted } from '../format-output.js';

export const imagesCommand: Command = {
  name: 'images',
  usage: 'images [OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  flags: {
    all: { kind: 'bool', short: 'a', description: 'Show all images (berth keeps no intermediate images: the same list)' },
    filter: { kind: 'list', short: 'f', description: "Filter output based on conditions provided (dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE, reference=PATTERN)", value: 'filter' },
    quiet: { kind: 'bool', short: 'q', description: 'Only show image IDs' },
    'no-trunc': { kind: 'bool', description: "Don't truncate output" },
    digests: { kind: 'bool', description: 'Show digests' },
    format: { kind: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template", value: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length > 1) throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth images" accepts at most 1 argument', { hint: "See 'berth images --help'" });
    const all = await ctx.engine().images.list();
    const filters = [...flagList(args, 'filter'), ...args.positionals.map((p) => `reference=${p}`)];
    const images = filterImages(all, filters, {
      findImage(ref) {
        const byId = /^(sha256:)?[0-9a-f]{1,64}$/.test(ref) ? all.find((i) => i.id === ref || i.id.startsWith(`sha256:${ref}`)) : undefined;
        if (byId) return byId;
        let familiar = ref;
        try {
          familiar = parseReference(ref).familiar;
        } catch {
          // not a reference: named as given
        }
        const found = all.find((i) => i.names.includes(familiar) || (i.digests ?? []).includes(familiar));
        if (!found) throw errors.notFound('IMAGE_NOT_FOUND', `No such image: ${familiar}`);
        return found;
      },
    });
    const now = Date.now();
    const rows = images.flatMap((image) => imageListRows(image, { trunc: !flagBool(args, 'no-trunc'), now, ...(image.labels ? { labels: image.labels } : {}) }));
    if (flagBool(args, 'quiet')) {
      // One line per row, as the docker CLI: an image with two tags is listed twice.
      ctx.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
      return 0;
    }
    const table = flagBool(args, 'digests') ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}' : 'table';
    return writeFormatted(ctx, () => renderFormat(flagString(args, 'format') ?? table, rows, dockerTables.image), listFormatErrors);
  },
};

export const rmiCommand: Command = {
  name: 'rmi',
  usage: 'rmi [OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  flags: {
    force: { kind: 'bool', short: 'f', description: 'Force removal of the image' },
    // Docker's untagged parents are a classic builder's intermediate images: berth's builds make none.
    'no-prune': { kind: 'bool', description: 'Do not delete untagged parents (berth\'s images have none)' },
  },
  async run(ctx, args) {
    if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth rmi" requires at least 1 argument');
    const engine = ctx.engine();
    const status = await forEachRef(ctx, args.positionals, async (ref) => {
      for (const name of await engine.images.remove(ref, { force: flagBool(args, 'force') })) ctx.stdout.write(`Untagged: ${name}\n`);
    });
    if (status === 0) {
      const collected = await engine.system.gc();
      for (const removed of collected.removed) if (removed.startsWith('blob')) ctx.stdout.write(`Deleted: ${removed.slice(5)}\n`);
    }
    return status;
  },
};
