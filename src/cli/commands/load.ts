import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';

import { errnoCode, errors } from '../../base/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';

export const loadCommand: Command = {
  name: 'load',
  usage: 'load [OPTIONS]',
  description: 'Load images from a tar archive (Docker\'s or an OCI layout; gzipped or not) or an OCI layout directory, or from STDIN',
  flags: {
    input: { kind: 'string', short: 'i', description: 'Read from a tar archive file or OCI layout directory, instead of STDIN', value: 'string' },
    quiet: { kind: 'bool', short: 'q', description: 'Suppress the load output' },
  },
  async run(ctx, args) {
    if (args.positionals.length > 0) {
      throw errors.invalidArgument('UNEXPECTED_ARGUMENT', '"berth load" accepts no arguments', { hint: "See 'berth load --help'" });
    }
    const input = flagString(args, 'input');
    let source: { stream: Readable } | { dir: string };
    if (input === undefined) {
      if ((ctx.stdin as { isTTY?: boolean }).isTTY === true) {
        throw errors.invalidArgument('INPUT_IS_TERMINAL', 'requested load from stdin, but stdin is empty');
      }
      source = { stream: ctx.stdin };
    } else {
      let isDir: boolean;
      try {
        isDir = statSync(input).isDirectory();
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') throw errors.notFound('LOAD_SOURCE_NOT_FOUND', `Cannot load "${input}": no such file or directory`);
        throw err;
      }
      source = isDir ? { dir: input } : { stream: createReadStream(input) };
    }
    const result = await ctx.engine().images.load(source, ctx.operation());
    if (!flagBool(args, 'quiet')) {
      for (const image of result.images) ctx.stdout.write(image.name !== undefined ? `Loaded image: ${image.name}\n` : `Loaded image ID: ${image.id}\n`);
    }
    return 0;
  },
};
