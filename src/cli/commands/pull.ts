import { errors } from '../../base/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';

export const pullCommand: Command = {
  name: 'pull',
  usage: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  flags: {
    platform: { kind: 'string', description: 'Pull the manifest of this platform (os/arch[/variant]) from an index', value: 'string' },
    quiet: { kind: 'bool', short: 'q', description: 'Suppress verbose output' },
  },
  async run(ctx, args) {
    const [name, ...extra] = args.positionals;
    if (name === undefined || extra.length > 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth pull" requires exactly 1 argument', { hint: "See 'berth pull --help'" });
    }
    const quiet = flagBool(args, 'quiet');
    const platform = flagString(args, 'platform');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const result = await ctx.engine().images.pull(name, {
        ...(platform !== undefined ? { platform } : {}),
        ...(quiet ? {} : { onProgress: (line: string) => void ctx.stdout.write(`${line}\n`) }),
      }, ctx.operation(controller.signal));
      ctx.stdout.write(`${result.fullName}\n`);
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
