import { errors } from '../../base/index.js';
import { parseReference } from '../../oci/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { checkContentTrust, contentTrustFlags } from '../content-trust.js';
import { interruptible } from '../interruptible.js';
import { ProgressDisplay } from '../progress-display.js';

export const pullCommand: Command = {
  name: 'pull',
  usage: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  flags: {
    platform: { kind: 'string', description: 'Pull the manifest of this platform (os/arch[/variant]) from an index', value: 'string' },
    quiet: { kind: 'bool', short: 'q', description: 'Suppress verbose output' },
    ...contentTrustFlags,
    'all-tags': { kind: 'bool', short: 'a', description: 'Download all tagged images in the repository' },
  },
  async run(ctx, args) {
    checkContentTrust(args);
    const [name, ...extra] = args.positionals;
    if (name === undefined || extra.length > 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth pull" requires exactly 1 argument', { hint: "See 'berth pull --help'" });
    }
    const quiet = flagBool(args, 'quiet');
    const platform = flagString(args, 'platform');
    return interruptible(['SIGINT', 'SIGTERM'], async (signal) => {
      const engine = ctx.engine();
      const op = ctx.operation(signal);
      let names = [name];
      if (flagBool(args, 'all-tags')) {
        if (/[:@][^/]*$/.test(name)) throw errors.invalidArgument('TAG_WITH_ALL_TAGS', "tag can't be used with --all-tags/-a");
        names = (await engine.images.remoteTags(name, op)).map((tag) => `${name}:${tag}`);
      }
      // per-layer lines redrawn in place on a terminal, plain lines otherwise (as the docker CLI)
      const display = new ProgressDisplay(ctx.stdout);
      for (const each of names) {
        const result = await engine.images.pull(each, {
          ...(platform !== undefined ? { platform } : {}),
          ...(quiet ? {} : { onProgressEvent: display.event }),
        }, op);
        if (names.length === 1 || !quiet) ctx.stdout.write(`${result.fullName}\n`);
      }
      if (names.length > 1 && quiet) {
        const ref = parseReference(name);
        ctx.stdout.write(`${ref.domain}/${ref.path}\n`);
      }
      return 0;
    }, { once: true });
  },
};
