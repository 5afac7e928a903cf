import { errors } from '../../base/index.js';
import type { Command } from '../command.js';

export const diffCommand: Command = {
  name: 'diff',
  usage: 'diff CONTAINER',
  description:
    "Inspect changes to files or directories on a container's filesystem\n\nA: added, C: changed, D: deleted; sorted by path (Docker prints them in directory order).",
  flags: {},
  async run(ctx, args) {
    const [ref] = args.positionals;
    if (ref === undefined || args.positionals.length !== 1) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth diff" requires exactly 1 argument', { hint: "See 'berth diff --help'" });
    }
    const changes = await ctx.engine().containers.changes(ref, ctx.operation());
    ctx.stdout.write(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
    return 0;
  },
};
