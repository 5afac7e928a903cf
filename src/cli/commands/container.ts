import { parseArgs, renderHelp } from '../args.js';
import { unknownSubcommand } from '../command-group.js';
import type { Command } from '../command.js';

/**
 * `berth container`: Docker's management command; most subcommands are aliases resolved by the
 * CLI (registry.ts); `prune`, which has no top-level command, runs here.
 */
export const containerCommand: Command = {
  name: 'container',
  usage: 'container COMMAND',
  description:
    'Manage containers\n\nCommands:\n  attach      Attach local standard input, output, and error streams to a running container\n  commit      Create a new image from a container\'s changes\n  cp          Copy files/folders between a container and the local filesystem\n  create      Create a new container\n  diff        Inspect changes to files or directories on a container\'s filesystem\n  exec        Execute a command in a running container\n  export      Export a container\'s filesystem as a tar archive\n  inspect     Display detailed information on one or more containers\n  kill        Kill one or more running containers\n  logs        Fetch the logs of a container\n  ls          List containers (also: list, ps)\n  pause       Pause all processes within one or more containers\n  prune       Remove all stopped containers\n  rename      Rename a container\n  restart     Restart one or more containers\n  rm          Remove one or more containers (also: remove)\n  run         Create and run a new container from an image\n  start       Start one or more stopped containers\n  stats       Display a live stream of container(s) resource usage statistics\n  stop        Stop one or more running containers\n  top         Display the running processes of a container\n  unpause     Unpause all processes within one or more containers\n  update      Update configuration of one or more containers\n  wait        Block until one or more containers stop, then print their exit codes',
  flags: {},
  stopAtPositional: true,
  async run(ctx, args) {
    const [sub, ...rest] = args.positionals;
    if (sub === 'prune') {
      const { containerPruneCommand: prune } = await import('./container-prune.js');
      if (rest.includes('--help')) {
        ctx.stdout.write(renderHelp(prune.usage, prune.description, prune.flags));
        return 0;
      }
      return prune.run(ctx, parseArgs(rest, prune.flags, { command: 'container prune', usage: prune.usage }));
    }
    throw unknownSubcommand('container', sub);
  },
};
