import { errors } from '../../base/index.js';
import { flagBool } from '../args.js';
import type { Command } from '../command.js';

export const systemCommand: Command = {
  name: 'system',
  usage: 'system COMMAND',
  description: 'Manage berth\n\nCommands:\n  check   Verify that the store is consistent\n  prune   Remove untagged images no container uses, then everything nothing refers to\n          (stopped containers and the build cache are kept)',
  flags: {
    quick: { kind: 'bool', description: 'check: do not re-hash every blob' },
    force: { kind: 'bool', short: 'f', description: 'prune: do not prompt for confirmation' },
  },
  async run(ctx, args) {
    const [sub] = args.positionals;
    const engine = ctx.engine();
    if (sub === 'check') {
      const report = await engine.system.check({ verifyContent: !flagBool(args, 'quick') });
      for (const problem of report.problems) ctx.stdout.write(`problem: ${problem}\n`);
      for (const item of report.reclaimable) ctx.stdout.write(`reclaimable: ${item}\n`);
      ctx.stdout.write(report.consistent ? `Store ${ctx.root} is consistent\n` : `Store ${ctx.root} is NOT consistent: ${report.problems.length} problem(s)\n`);
      return report.consistent ? 0 : 1;
    }
    if (sub === 'prune') {
      const untagged = await engine.images.pruneUntagged();
      for (const id of untagged) ctx.stdout.write(`Deleted image ${id}\n`);
      const { removed, skipped } = await engine.system.gc();
      if (skipped !== undefined) {
        ctx.stderr.write(`berth: nothing collected: ${skipped}; try again when it has finished\n`);
        return 1;
      }
      for (const item of removed) ctx.stdout.write(`Deleted ${item}\n`);
      ctx.stdout.write(`Total reclaimed items: ${removed.length}\n`);
      return 0;
    }
    throw errors.invalidArgument('UNKNOWN_COMMAND', `Unknown command "berth system ${sub ?? ''}"`, { hint: "See 'berth system --help'" });
  },
};
