import { errors } from '../../base/index.js';
import type { Command } from '../command.js';
import { completionScript } from '../completion.js';
import { commands, managementCommands } from '../registry.js';

export const completionCommand: Command = {
  name: 'completion',
  usage: 'completion bash|zsh',
  description: 'Print a shell completion script: `source <(berth completion bash)`, or save it as /etc/bash_completion.d/berth (zsh: a file named _berth on $fpath)',
  flags: {},
  async run(ctx, args) {
    const [shell, ...rest] = args.positionals;
    if (rest.length > 0 || (shell !== 'bash' && shell !== 'zsh')) {
      throw errors.invalidArgument('COMPLETION_SHELL', shell === undefined ? '"berth completion" requires 1 argument: bash or zsh' : `unsupported shell "${shell}": bash or zsh`);
    }
    ctx.stdout.write(await completionScript(shell, { commands, managementCommands }));
    return 0;
  },
};
