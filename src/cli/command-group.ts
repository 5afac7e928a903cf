/**
 * What Docker's grouped commands (`volume`, `network`) and its prune commands share: a dispatcher
 * over subcommands with their own flags and help, and the `[y/N]` confirmation prompt.
 */
import { errors } from '../base/index.js';
import { parseArgs, renderHelp } from './args.js';
import type { FlagSpecs, Parsed } from './args.js';
import type { CliContext, Command } from './command.js';

export interface Subcommand {
  usage: string;
  description: string;
  flags: FlagSpecs;
  run(ctx: CliContext, args: Parsed): Promise<number>;
}

/** `berth NAME SUB ...`: runs the subcommand (or an alias of one) with its own flags. */
export function commandGroup(name: string, title: string, subcommands: Record<string, Subcommand>, aliases: Record<string, string> = {}): Command {
  return {
    name,
    usage: `${name} COMMAND`,
    description: `${title}\n\nCommands:\n${Object.entries(subcommands).map(([sub, s]) => `  ${sub.padEnd(10)}${s.description.split('\n')[0] ?? ''}`).join('\n')}\n\nRun 'berth ${name} COMMAND --help' for more information on a command.`,
    flags: {},
    stopAtPositional: true,
    async run(ctx, args) {
      const [given, ...rest] = args.positionals;
      const subName = given === undefined ? undefined : (aliases[given] ?? given);
      const sub = subName === undefined ? undefined : subcommands[subName];
      if (sub === undefined) {
        throw unknownSubcommand(name, given);
      }
      if (rest.includes('--help')) {
        ctx.stdout.write(renderHelp(sub.usage, sub.description, sub.flags));
        return 0;
      }
      return sub.run(ctx, parseArgs(rest, sub.flags, { command: `${name} ${subName as string}`, usage: sub.usage }));
    },
  };
}

/**
 * `berth GROUP` without a subcommand or with one it does not have: docker 28's `docker: unknown
 * command: docker container bogus`, the group's usage and where to read more (exit 1).
 */
export function unknownSubcommand(group: string, given: string | undefined) {
  return errors.invalidArgument('UNKNOWN_COMMAND', given === undefined ? `"berth ${group}" requires a command` : `unknown command: berth ${group} ${given}`, {
    hint: `\nUsage:  berth ${group}\n\nRun 'berth ${group} --help' for more information`,
  });
}

/** Asks `question` and reads one line of the answer: true for y or yes (Docker's [y/N]). */
export async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  ctx.stdout.write(question);
  let answer = '';
  for await (const chunk of ctx.stdin) {
    answer += String(chunk);
    if (answer.includes('\n')) break;
  }
  return /^\s*y(es)?\s*$/i.test(answer.split('\n')[0] ?? '');
}
