import { flagBool } from '../args.js';
import type { Leftover } from '../../api/index.js';
import type { Command } from '../command.js';
import { unknownSubcommand } from '../command-group.js';

/** One line of `system check`: whether the leftover is in use, and by which process. */
function describeLeftover(l: Leftover): string {
  const what = `${l.kind} ${JSON.stringify(l.name)}`;
  if (l.owner?.alive) return `in use: ${what} (process ${l.owner.pid} is running)`;
  if (l.owner) return `reclaimable: ${what} (its process ${l.owner.pid} is gone)`;
  return `reclaimable: ${what} (no process holds it)`;
}

export const systemCommand: Command = {
  name: 'system',
  usage: 'system COMMAND',
  description: 'Manage berth\n\nCommands:\n  check   Verify that the store is consistent; list what killed builds and imports left,\n          and whether a live process still owns it\n  prune   Remove unused data: stopped containers, unused networks, dangling images, build cache,\n          what killed builds, imports and containers left (berth system prune --help)\n  boot    After the machine started: record the exit of containers that were running, and start\n          again those whose restart policy is always (or unless-stopped, unless stopped by hand);\n          run once at boot by contrib/systemd/berth-boot.service\n  df      Show disk usage (berth system df --help)\n  events  Get real time events (berth events)\n  info    Display system-wide information (berth info)',
  flags: {
    quick: { kind: 'bool', description: 'check: do not re-hash every blob' },
  },
  async run(ctx, args) {
    const [sub] = args.positionals;
    const engine = ctx.engine();
    if (sub === 'check') {
      const report = await engine.system.check({ verifyContent: !flagBool(args, 'quick') });
      for (const problem of report.problems) ctx.stdout.write(`problem: ${problem}\n`);
      for (const item of report.reclaimable) ctx.stdout.write(`reclaimable: ${item}\n`);
      for (const l of report.leftovers) ctx.stdout.write(`${describeLeftover(l)}\n`);
      ctx.stdout.write(report.consistent ? `Store ${ctx.root} is consistent\n` : `Store ${ctx.root} is NOT consistent: ${report.problems.length} problem(s)\n`);
      return report.consistent ? 0 : 1;
    }
    if (sub === 'boot') {
      const { started, failed } = await engine.containers.restartAfterBoot();
      for (const name of started) ctx.stdout.write(`${name}\n`);
      for (const { name, error } of failed) ctx.stderr.write(`berth: cannot restart container "${name}": ${error}\n`);
      return failed.length > 0 ? 1 : 0;
    }
    throw unknownSubcommand('system', sub);
  },
};
