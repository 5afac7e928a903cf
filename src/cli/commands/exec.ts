import { errors } from '../../base/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { ContainerExecOptions } from '../../api/index.js';
import { detachKeyFilter } from '../../api/index.js';
import type { CliContext, Command } from '../command.js';
import { readEnvFiles } from '../container-flags.js';
import { parseEnvOption } from '../env-file.js';
import { openTerminalSession } from '../terminal-session.js';

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
    'detach-keys': { kind: 'string', description: 'Override the key sequence for detaching from the command (-it; default ctrl-p,ctrl-q)', value: 'string' },
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
    // The terminal's size goes with the command, as the docker CLI's ConsoleSize does: set before it runs.
    const out = ctx.stdout as { isTTY?: boolean; rows?: number; columns?: number };
    const size = tty && !detach && out.isTTY && out.rows && out.columns ? { rows: out.rows, cols: out.columns } : undefined;
    const options: ContainerExecOptions = {
      cmd, detach, interactive, tty, env, privileged: flagBool(args, 'privileged'),
      ...(workdir !== undefined ? { workingDir: workdir } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(size ? { size } : {}),
    };
    try {
      // A terminal on this machine's engine: its master comes here and this process copies it, as
      // the daemon does (a daemon's engine does the same over its connection).
      if (tty && !detach && !ctx.remote) return await execOnTerminal(ctx, ref, options, flagString(args, 'detach-keys'));
      return await ctx.engine().containers.exec(ref, options, detach ? ['ignore', 'ignore', 'ignore'] : [interactive ? 0 : 'ignore', 1, 2]);
    } catch (err) {
      // Detached, the runtime's stderr was nobody's: its error is said here (docker exec -d exits 1 with it).
      if (detach) throw err;
      return execFailed(err);
    }
  },
};

/**
 * `exec -t`: the runtime hands the pseudo-terminal's master over its console socket
 * (engine.containers.execStreams), and this process copies it to stdout (and stdin to it with -i),
 * in raw mode, following the size. When the runtime kept the terminal itself (`exec --tty` with no
 * console socket), it needed stdin to be a terminal, so `-t` without `-i` failed, and under load its
 * copy could end before a command that exits at once had its output shown.
 */
async function execOnTerminal(ctx: CliContext, ref: string, options: ContainerExecOptions, detachKeys: string | undefined): Promise<number> {
  const session = openTerminalSession(ctx, { tty: true, stdin: options.interactive === true, stdout: true, stderr: false, detachKeys });
  let detached = false;
  try {
    const started = await ctx.engine().containers.execStreams(ref, options);
    session.followSizeWith((rows, cols) => started.resize(rows, cols));
    const shown = new Promise<void>((resolve) => {
      started.stdout.once('end', resolve);
      started.stdout.once('close', resolve);
    });
    started.stdout.pipe(ctx.stdout, { end: false });
    // The detach keys (ctrl-p ctrl-q unless --detach-keys) leave the command running, as Docker's exec does.
    const detach = new Promise<'detached'>((resolve) => {
      const { stdin, detachKeys: keys } = session.streams;
      const input = started.stdin;
      if (!stdin || !input) return;
      const filter = detachKeyFilter(keys);
      stdin.on('data', (chunk: Buffer) => {
        const { forward, detached: now } = filter(chunk);
        if (forward) input.write(forward);
        if (now) resolve('detached');
      });
      stdin.once('end', () => input.end());
    });
    // Everything shown first, the runtime's own error too when the command could not start.
    const outcome = await Promise.race([started.exit.finally(() => shown), detach]);
    if (outcome !== 'detached') return outcome;
    started.stdout.unpipe(ctx.stdout);
    started.release?.();
    detached = true;
    return 1;
  } finally {
    session.close();
    // After the terminal is back to normal; docker 20.10 and 28 print this and exit 1.
    if (detached) ctx.stderr.write('read escape sequence\n');
  }
}

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
