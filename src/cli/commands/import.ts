import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

import { errnoCode, errors } from '../../base/index.js';
import { flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { checkHostPlatform } from '../host-platform-flag.js';

export const importCommand: Command = {
  name: 'import',
  usage: 'import [OPTIONS] file|- REPOSITORY[:TAG]',
  description: 'Import the contents from a tarball to create a filesystem image',
  flags: {
    change: { kind: 'list', short: 'c', description: 'Apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, ...)', value: 'list' },
    message: { kind: 'string', short: 'm', description: 'Set commit message for imported image', value: 'string' },
    platform: { kind: 'string', description: 'Set platform if server is multi-platform capable (only the host platform)', value: 'string' },
  },
  async run(ctx, args) {
    checkHostPlatform(flagString(args, 'platform'), 'IMPORT_PLATFORM', 'import an image');
    const [source, name] = args.positionals;
    if (source === undefined || name === undefined || args.positionals.length > 2) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth import" requires a file (or -) and a name', { hint: "See 'berth import --help'" });
    }
    if (source !== '-') {
      try {
        if (!(await stat(source)).isFile()) throw errors.invalidArgument('NOT_A_FILE', `Cannot import "${source}": not a file`);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') throw errors.notFound('IMPORT_SOURCE_NOT_FOUND', `Cannot import "${source}": no such file`);
        throw err;
      }
    }
    const input = source === '-' ? ctx.stdin : createReadStream(source);
    // The docker CLI uploads a file as the request body: dockerd records "Imported from -" for a file too.
    const message = flagString(args, 'message');
    const image = await ctx.engine().images.import(input, name, { changes: flagList(args, 'change'), source: '-', ...(message === undefined ? {} : { message }) }, ctx.operation());
    ctx.stdout.write(`${image.id}\n`);
    return 0;
  },
};
