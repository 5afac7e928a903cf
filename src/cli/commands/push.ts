import { errors } from '../../base/index.js';
import { familiarRepository, parseReference } from '../../oci/index.js';
import { flagBool } from '../args.js';
import type { Command } from '../command.js';
import { checkContentTrust, contentTrustFlags } from '../content-trust.js';
import { interruptible } from '../interruptible.js';
import { ProgressDisplay } from '../progress-display.js';

export const pushCommand: Command = {
  name: 'push',
  usage: 'push [OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  flags: {
    quiet: { kind: 'bool', short: 'q', description: 'Suppress verbose output' },
    ...contentTrustFlags,
    'all-tags': { kind: 'bool', short: 'a', description: 'Push all tags of the repository' },
  },
  async run(ctx, args) {
    checkContentTrust(args);
    const [name, ...extra] = args.positionals;
    if (name === undefined || extra.length > 0) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth push" requires exactly 1 argument', { hint: "See 'berth push --help'" });
    }
    const quiet = flagBool(args, 'quiet');
    return interruptible(['SIGINT', 'SIGTERM'], async (signal) => {
      const engine = ctx.engine();
      const op = ctx.operation(signal);
      let names = [name];
      if (flagBool(args, 'all-tags')) {
        if (/[:@][^/]*$/.test(name)) throw errors.invalidArgument('TAG_WITH_ALL_TAGS', "tag can't be used with --all-tags/-a");
        const repository = familiarRepository(parseReference(name));
        names = (await engine.images.list()).flatMap((i) => i.names).filter((n) => familiarRepository(parseReference(n)) === repository).sort();
        if (names.length === 0) throw errors.notFound('IMAGE_NOT_FOUND', `An image does not exist locally with the tag: ${name}`);
      }
      const display = new ProgressDisplay(ctx.stdout);
      for (const each of names) {
        const result = await engine.images.push(each, quiet ? {} : { onProgressEvent: display.event }, op);
        if (quiet) ctx.stdout.write(`${result.tag}: digest: ${result.digest} size: ${result.size}\n`);
      }
      return 0;
    }, { once: true });
  },
};
