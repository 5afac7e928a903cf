import { errors } from '../../base/index.js';
import type { Command } from '../command.js';

/** `berth container`: Docker's management command; its subcommands are aliases resolved by the CLI (registry.ts). */
export const containerCommand: Command = {
  name: 'container',
  usage: 'container COMMAND',
  description: 'Manage containers\n\nCommands:\n  inspect     Display detailed information on one or more containers\n  ls          List containers (also: list, ps)\n  pause       Pause all processes within one or more containers\n  rename      Rename a container\n  rm          Remove one or more containers (also: remove)\n  run         Create and run a new container from an image\n  stats       Display a live stream of container(s) resource usage statistics\n  top         Display the running processes of a container\n  unpause     Unpause all processes within one or more containers\n  update      Update configuration of one or more containers',
  flags: {},
  stopAtPositional: true,
  async run(_ctx, args) {
    const [sub] = args.positionals;
    throw errors.invalidArgument('UNKNOWN_COMMAND', sub === undefined ? '"berth container" requires a command' : `Unknown command "berth container ${sub}"`, { hint: "See 'berth container --help'" });
  },
};
