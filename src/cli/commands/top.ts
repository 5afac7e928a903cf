import { errors } from '../../base/index.js';
import { tabwrite } from '../../api/index.js';
import type { Command } from '../command.js';

export const topCommand: Command = {
  name: 'top',
  usage: 'top CONTAINER [ps OPTIONS]',
  description: 'Display the running processes of a container (host ps, default options -ef)',
  flags: {},
  stopAtPositional: true,
  async run(ctx, args) {
    const [ref, ...psArgs] = args.positionals;
    if (ref === undefined) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth top" requires at least 1 argument', { hint: "See 'berth top --help'" });
    // Docker's CLI sends the options as one string that the daemon splits on spaces.
    const list = await ctx.engine().containers.top(ref, psArgs.join(' ').split(' ').filter((a) => a !== ''));
    const lines = [list.titles.join('\t'), ...list.processes.map((p) => p.join('\t'))];
    ctx.stdout.write(`${tabwrite(`${lines.join('\n')}\n`, { minWidth: 20, padding: 3 })}`);
    return 0;
  },
};
