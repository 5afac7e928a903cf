import { errors } from '../../base/index.js';
import { flagBool } from '../args.js';
import type { Command } from '../command.js';

export const pushCommand: Command = {
  name: 'push',
  usage: 'push [OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  flags: {
    quiet: { kind: 'bool', short: 'q', description: 'Suppress verbose output' },
  },
  async run(ctx, args) {
    const [name, ...extra] = args.positionals;
    if (name === undefined || extra.length > 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth push" requires exactly 1 argument', { hint: "See 'berth push --help'" });
    }
    const quiet = flagBool(args, 'quiet');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const result = await ctx.engine().images.push(name, quiet ? {} : { onProgress: (line: string) => void ctx.stdout.write(`${line}\n`) }, ctx.operation(controller.signal));
      if (quiet) ctx.stdout.write(`${result.tag}: digest: ${result.digest} size: ${result.size}\n`);
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
