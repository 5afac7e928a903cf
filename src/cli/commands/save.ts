import { errors } from '../../base/index.js';
import type { SaveFormat } from '../../api/index.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { writeOutputFile } from '../output-file.js';

const formats: readonly SaveFormat[] = ['docker', 'oci-archive', 'oci-dir'];

export const saveCommand: Command = {
  name: 'save',
  usage: 'save [OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: {
    output: { kind: 'string', short: 'o', description: 'Write to a file (a directory for --format oci-dir), instead of STDOUT', value: 'string' },
    format: { kind: 'string', description: 'docker (Docker\'s archive, also an OCI layout), oci-archive (an OCI layout as a tar) or oci-dir (an OCI layout directory)', value: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length === 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth save" requires at least 1 argument', { hint: "See 'berth save --help'" });
    }
    const format = (flagString(args, 'format') ?? 'docker') as SaveFormat;
    if (!formats.includes(format)) throw errors.invalidArgument('INVALID_FORMAT', `Invalid --format "${format}": use docker, oci-archive or oci-dir`);
    const output = flagString(args, 'output');
    const images = ctx.engine().images;
    if (format === 'oci-dir') {
      if (output === undefined) throw errors.invalidArgument('MISSING_ARGUMENT', '--format oci-dir needs a directory: -o DIR');
      await images.save(args.positionals, { dir: output }, { format }, ctx.operation());
      return 0;
    }
    if (output === undefined) {
      if ((ctx.stdout as { isTTY?: boolean }).isTTY === true) {
        throw errors.invalidArgument('OUTPUT_IS_TERMINAL', 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
      }
      await images.save(args.positionals, { stream: ctx.stdout }, { format }, ctx.operation());
      return 0;
    }
    await writeOutputFile(output, (file) => images.save(args.positionals, { stream: file }, { format }, ctx.operation()));
    return 0;
  },
};
