import { errors } from '../../base/index.js';
import type { Command } from '../command.js';

export const tagCommand: Command = {
  name: 'tag',
  usage: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: {},
  async run(ctx, args) {
    const [source, target, ...extra] = args.positionals;
    if (source === undefined || target === undefined || extra.length > 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth tag" requires exactly 2 arguments', { hint: "See 'berth tag --help'" });
    }
    await ctx.engine().images.tag(source, target);
    return 0;
  },
};
