import { errors } from '../../base/index.js';
import type { Command } from '../command.js';

export const renameCommand: Command = {
  name: 'rename',
  usage: 'rename CONTAINER NEW_NAME',
  description: 'Rename a container',
  flags: {},
  async run(ctx, args) {
    const [ref, name, ...extra] = args.positionals;
    if (ref === undefined || name === undefined || extra.length > 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth rename" requires exactly 2 arguments', { hint: "See 'berth rename --help'" });
    }
    if (name.trim() === '') throw errors.invalidArgument('INVALID_CONTAINER_NAME', 'Neither old nor new names may be empty');
    try {
      await ctx.engine().containers.rename(ref, name);
    } catch (err) {
      ctx.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
      ctx.stderr.write(`Error: failed to rename container named ${ref}\n`);
      return 1;
    }
    return 0;
  },
};
