import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';

import { errors } from '../../base/index.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';

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
    const file = createWriteStream(output);
    try {
      await containers.export(ref, file, ctx.operation());
      file.end();
      await finished(file);
    } catch (err) {
      file.destroy();
      await rm(output, { force: true });
      throw err;
    }
    return 0;
  },
};
