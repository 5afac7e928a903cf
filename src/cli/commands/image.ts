import { errors } from '../../base/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { interruptible } from '../interruptible.js';

export const imageCommand: Command = {
  name: 'image',
  usage: 'image COMMAND',
  description: 'Manage images\n\nCommands:\n  bootstrap debian:SUITE[-slim]   Build a Debian base image from the Debian archive, by the recipe of the official images (debuerreotype; no registry needed)\n  build       Build an image from a Dockerfile\n  diff        Show the files added, removed and changed between two images or layers\n  history     Show the history of an image\n  import      Import a rootfs tarball as an image\n  inspect     Display detailed information on one or more images\n  load        Load images from a tar archive or OCI layout\n  ls          List images (also: list)\n  prune       Remove unused images\n  pull        Download an image from a registry\n  push        Upload an image to a registry\n  rm          Remove one or more images (also: remove)\n  save        Save one or more images to a tar archive\n  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: {
    arch: { kind: 'string', description: "bootstrap: Debian architecture, e.g. amd64, arm64, i386 (default: the host's; another must be one the host runs)", value: 'string' },
    mirror: { kind: 'string', description: "bootstrap: Debian mirror (default: the host's apt mirror)", value: 'string' },
    quiet: { kind: 'bool', short: 'q', description: "bootstrap: do not show the recipe's steps and output" },
  },
  async run(ctx, args) {
    const [sub, name, ...rest] = args.positionals;
    if (sub !== 'bootstrap') {
      throw errors.invalidArgument('UNKNOWN_COMMAND', `Unknown command "berth image ${sub ?? ''}"`, { hint: "See 'berth image --help'" });
    }
    if (name === undefined || rest.length > 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth image bootstrap" requires exactly 1 argument: debian:SUITE[-slim]');
    }
    const engine = ctx.engine();
    const mirror = flagString(args, 'mirror');
    const arch = flagString(args, 'arch');
    const quiet = flagBool(args, 'quiet');
    return interruptible(['SIGINT'], async (signal) => {
      const result = await engine.images.bootstrap(name, {
        ...(mirror !== undefined ? { mirror } : {}),
        ...(arch !== undefined ? { arch } : {}),
        ...(quiet ? {} : { onOutput: (chunk: Buffer) => void ctx.stderr.write(chunk) }),
      }, ctx.operation(signal));
      ctx.stdout.write(`${result.id}\n`);
      return 0;
    });
  },
};
