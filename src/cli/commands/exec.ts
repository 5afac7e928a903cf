import { errors } from '../../base/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { readEnvFiles } from '../container-flags.js';
import { parseEnvOption } from '../env-file.js';

export const execCommand: Command = {
  name: 'exec',
  usage: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  stopAtPositional: true,
  flags: {
    detach: { kind: 'bool', short: 'd', description: 'Detached mode: run command in the background' },
    interactive: { kind: 'bool', short: 'i', description: 'Keep STDIN open even if not attached' },
    tty: { kind: 'bool', short: 't', description: 'Allocate a pseudo-TTY' },
    user: { kind: 'string', short: 'u', description: 'Username or UID (format: <name|uid>[:<group|gid>])', value: 'string' },
    env: { kind: 'list', short: 'e', description: 'Set environment variables', value: 'list' },
    'env-file': { kind: 'list', description: 'Read in a file of environment variables', value: 'list' },
    workdir: { kind: 'string', short: 'w', description: 'Working directory inside the container', value: 'string' },
    privileged: { kind: 'bool', description: 'Give extended privileges to the command' },
  },
  async run(ctx, args) {
    const [ref, ...cmd] = args.positionals;
    if (ref === undefined || cmd.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth exec" requires at least 2 arguments', { hint: "See 'berth exec --help'" });
    const tty = flagBool(args, 'tty');
    const interactive = flagBool(args, 'interactive');
    const detach = flagBool(args, 'detach');
    if (tty && interactive && !detach && !(ctx.stdin as { isTTY?: boolean }).isTTY) throw errors.invalidArgument('NOT_A_TTY', 'the input device is not a TTY');
    const workdir = flagString(args, 'workdir');
    const user = flagString(args, 'user');
    const env = [...readEnvFiles(flagList(args, 'env-file')), ...flagList(args, 'env').map((e) => parseEnvOption(e, (name) => process.env[name]))];
    try {
      return await ctx.engine().containers.exec(ref, {
      cmd, detach, interactive, tty, env, privileged: flagBool(args, 'privileged'),
      ...(workdir !== undefined ? { workingDir: workdir } : {}),
      ...(user !== undefined ? { user } : {}),
      }, detach ? ['ignore', 'ignore', 'ignore'] : [interactive ? 0 : 'ignore', 1, 2]);
    } catch (err) {
      return execFailed(err);
    }
  },
};

/**
 * Docker's exec exits 126 whenever the runtime could not start the command (missing, not
 * executable, ...). The runtime has already said why on the stderr it shares with the command
 * (crun and runc write their errors there as well as to their JSON log): saying it again would
 * print the error twice.
 */
function execFailed(err: unknown): number {
  const code = (err as { code?: string }).code;
  if (code === 'BERTH_E_COMMAND_NOT_FOUND' || code === 'BERTH_E_COMMAND_NOT_EXECUTABLE' || code === 'BERTH_E_RUNTIME_FAILED') return 126;
  throw err;
}

/**
 * Run by the native exec fast path (native/berth_exec.c) when the runtime logged something for an
 * exec it ran: the user sees what `berth exec` through Node would have shown. Hidden from help.
 */
export const execReportCommand: Command = {
  name: 'container exec-report',
  usage: 'container exec-report --log FILE --code N CONTAINER',
  description: 'Report how an exec run by the native fast path ended',
  flags: {
    log: { kind: 'string', description: "The runtime's log of the exec", value: 'string' },
    code: { kind: 'string', description: "The runtime's exit status", value: 'string' },
  },
  async run(ctx, args) {
    const [id] = args.positionals;
    const log = flagString(args, 'log');
    const code = Number(flagString(args, 'code'));
    if (id === undefined || log === undefined) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth container exec-report" requires --log, --code and 1 argument');
    try {
      return await ctx.engine().containers.execOutcome(id, log, code);
    } catch (err) {
      return execFailed(err);
    }
  },
};
