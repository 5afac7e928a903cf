import { errors } from '../../base/index.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { writeOutputFile } from '../output-file.js';

export const exportCommand: Command = {
  name: 'export',
  usage: 'export [OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  flags: {
    output: { kind: 'string', short: 'o', description: 'Write to a file, instead of STDOUT', value: 'string' },
  },
  async run(ctx, args) {
    const [ref] = args.positionals;
    if (ref === undefined || args.positionals.length !== 1) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth export" requires exactly 1 argument', { hint: "See 'berth export --help'" });
    }
    const output = flagString(args, 'output');
    const containers = ctx.engine().containers;
    if (output === undefined) {
      if ((ctx.stdout as { isTTY?: boolean }).isTTY === true) {
        throw errors.invalidArgument('OUTPUT_IS_TERMINAL', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
      }
      await containers.export(ref, ctx.stdout, ctx.operation());
      return 0;
    }
    await writeOutputFile(output, (file) => containers.export(ref, file, ctx.operation()));
    return 0;
  },
};
