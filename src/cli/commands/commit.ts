import { errors } from '../../base/index.js';
import { flagList, flagString } from '../args.js';
import type { Command } from '../command.js';

export const commitCommand: Command = {
  name: 'commit',
  usage: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  flags: {
    author: { kind: 'string', short: 'a', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")', value: 'string' },
    change: { kind: 'list', short: 'c', description: 'Apply Dockerfile instruction to the created image', value: 'list' },
    message: { kind: 'string', short: 'm', description: 'Commit message', value: 'string' },
    pause: { kind: 'bool', short: 'p', description: 'Pause container during commit (default true)' },
  },
  async run(ctx, args) {
    const [ref, reference, ...rest] = args.positionals;
    if (ref === undefined || rest.length > 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth commit" requires at least 1 and at most 2 arguments', { hint: "See 'berth commit --help'" });
    }
    const author = flagString(args, 'author');
    const message = flagString(args, 'message');
    const result = await ctx.engine().containers.commit(ref, {
      ...(reference !== undefined ? { reference } : {}),
      changes: flagList(args, 'change'),
      ...(author !== undefined ? { author } : {}),
      ...(message !== undefined ? { message } : {}),
      pause: args.flags.get('pause') !== false,
    }, ctx.operation());
    ctx.stdout.write(`${result.id}\n`);
    return 0;
  },
};
