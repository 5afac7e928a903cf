import { errors } from '../../base/index.js';
import type { Command } from '../command.js';
import { forEachRefInParallel } from '../for-each-ref.js';

export const pauseCommand: Command = {
  name: 'pause',
  usage: 'pause CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  flags: {},
  async run(ctx, args) {
    if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth pause" requires at least 1 argument', { hint: "See 'berth pause --help'" });
    return forEachRefInParallel(ctx, args.positionals, async (ref) => {
      await ctx.engine().containers.pause(ref);
    });
  },
};

export const unpauseCommand: Command = {
  name: 'unpause',
  usage: 'unpause CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  flags: {},
  async run(ctx, args) {
    if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth unpause" requires at least 1 argument', { hint: "See 'berth unpause --help'" });
    return forEachRefInParallel(ctx, args.positionals, async (ref) => {
      await ctx.engine().containers.unpause(ref);
    });
  },
};
