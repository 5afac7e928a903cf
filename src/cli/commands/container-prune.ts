import { errors } from '../../base/index.js';
import { humanSize } from '../../api/index.js';
import { flagBool, flagList } from '../args.js';
import type { CliContext, Command } from '../command.js';

/** Reads one line of the user's answer; true for y or yes. */
export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  ctx.stdout.write(question);
  let answer = '';
  for await (const chunk of ctx.stdin) {
    answer += (chunk as Buffer).toString();
    if (answer.includes('\n')) break;
  }
  return /^\s*y(es)?\s*$/i.test(answer.split('\n')[0] ?? '');
}

/** `berth container prune`: reached through the `container` command (container.ts). */
export const containerPruneCommand: Command = {
  name: 'container prune',
  usage: 'container prune [OPTIONS]',
  description: 'Remove all stopped containers',
  flags: {
    filter: { kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>", "label=KEY[=VALUE]", "label!=KEY")', value: 'filter' },
    force: { kind: 'bool', short: 'f', description: 'Do not prompt for confirmation' },
  },
  async run(ctx, args) {
    if (args.positionals.length > 0) {
      throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth container prune" accepts no arguments', { hint: "See 'berth container prune --help'" });
    }
    if (!flagBool(args, 'force') && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) {
      return 0;
    }
    const result = await ctx.engine().containers.prune({ filters: flagList(args, 'filter') }, ctx.operation());
    if (result.deleted.length > 0) ctx.stdout.write(`Deleted Containers:\n${result.deleted.map((id) => `${id}\n`).join('')}\n`);
    ctx.stdout.write(`Total reclaimed space: ${humanSize(result.spaceReclaimed, 4)}\n`);
    return 0;
  },
};
