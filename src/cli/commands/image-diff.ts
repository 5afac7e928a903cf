import { errors } from '../../base/index.js';
import type { FileChange, NodeSummary } from '../../api/index.js';
import { humanSize } from '../../api/index.js';
import { flagBool } from '../args.js';
import type { Command } from '../command.js';
import { interruptible } from '../interruptible.js';

const letters = { added: 'A', removed: 'D', changed: 'C' } as const;

function what(n: NodeSummary | undefined): string {
  if (n === undefined) return '';
  switch (n.type) {
    case 'file':
      return humanSize(n.size);
    case 'hardlink':
      return `hard link to ${n.linkname ?? ''}, ${humanSize(n.size)}`;
    case 'symlink':
      return `symlink -> ${n.linkname ?? ''}`;
    default:
      return n.type;
  }
}

/** A file time as the report shows it: `2024-05-01T12:00:00Z` (seconds since the epoch when out of range). */
export function isoTime(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString().replace('.000Z', 'Z');
}

const octal = (mode: number | undefined) => (mode ?? 0).toString(8).padStart(4, '0');

/** One change as a line: `C /etc/passwd (content: 1.2kB -> 1.3kB; mode 0644 -> 0600)`. */
export function changeLine(c: FileChange): string {
  const details: string[] = [];
  if (c.kind === 'added') details.push(what(c.b));
  else if (c.kind === 'removed') details.push(what(c.a));
  else {
    for (const aspect of c.aspects) {
      if (aspect === 'type') details.push(`type: ${what(c.a)} -> ${what(c.b)}`);
      else if (aspect === 'content') details.push(`content: ${humanSize(c.a?.size ?? 0)} -> ${humanSize(c.b?.size ?? 0)}`);
      else if (aspect === 'mode') details.push(`mode ${octal(c.a?.mode)} -> ${octal(c.b?.mode)}`);
      else if (aspect === 'owner') details.push(`owner ${c.a?.uid ?? ''}:${c.a?.gid ?? ''} -> ${c.b?.uid ?? ''}:${c.b?.gid ?? ''}`);
      else if (aspect === 'mtime') details.push(`mtime ${isoTime(c.a?.mtime)} -> ${isoTime(c.b?.mtime)}`);
      else if (aspect === 'link target') details.push(`link target ${c.a?.linkname ?? ''} -> ${c.b?.linkname ?? ''}`);
      else details.push(aspect);
    }
  }
  if (c.diffSkipped !== undefined) details.push(`content not shown: ${c.diffSkipped}`);
  const shown = details.filter((d) => d !== '');
  return `${letters[c.kind]} ${c.path}${shown.length > 0 ? ` (${shown.join('; ')})` : ''}\n`;
}

export const imageDiffCommand: Command = {
  name: 'image diff',
  usage: 'image diff [OPTIONS] A B',
  description:
    'Show the files added, removed and changed from A to B\n\n'
    + 'A and B are each an image (a name or an id: its whole filesystem, every layer applied) or one layer (its full\n'
    + "digest, as `berth image inspect -f '{{json .RootFS.Layers}}' IMAGE` lists them: that layer's own entries,\n"
    + 'whiteouts included). One line per path, sorted: A added, D deleted, C changed with what changed (type,\n'
    + 'content, mode, owner, mtime, link target, xattrs) and the sizes. A directory is changed by its own\n'
    + 'metadata only; an added or deleted directory is listed with everything under it.',
  flags: {
    content: { kind: 'bool', description: 'Also show a unified diff of each added, deleted or changed text file up to 64 KiB (binary and larger files say why not)' },
  },
  async run(ctx, args) {
    const [a, b] = args.positionals;
    if (a === undefined || b === undefined || args.positionals.length !== 2) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth image diff" requires exactly 2 arguments', { hint: "See 'berth image diff --help'" });
    }
    const content = flagBool(args, 'content');
    const engine = ctx.engine();
    return interruptible(['SIGINT', 'SIGTERM', 'SIGHUP'], async (signal) => {
      const result = await engine.images.diff(a, b, { content }, ctx.operation(signal));
      for (const change of result.changes) {
        ctx.stdout.write(changeLine(change));
        if (change.diff !== undefined) ctx.stdout.write(change.diff);
      }
      return 0;
    });
  },
};
