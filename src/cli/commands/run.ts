import { errors } from '../../base/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { Parsed } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { containerFlags, createOptions, createWithCidFile } from '../container-flags.js';
import type { AttachResult, ContainerRecord, StartOptions } from '../../api/index.js';
import { pullingIfMissing } from '../pull-missing.js';
import { openTerminalSession } from '../terminal-session.js';
import type { TerminalSession } from '../terminal-session.js';

export const runCommand: Command = {
  name: 'run',
  usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  stopAtPositional: true,
  errorExitCode: 125,
  flags: {
    ...containerFlags,
    detach: { kind: 'bool', short: 'd', description: 'Run container in background and print container ID' },
    attach: { kind: 'list', short: 'a', description: 'Attach to STDIN, STDOUT or STDERR', value: 'list' },
    'detach-keys': { kind: 'string', description: 'Override the key sequence for detaching a container', value: 'string' },
    'sig-proxy': { kind: 'bool', description: 'Proxy received signals to the process (default true)' },
  },
  async run(ctx, args) {
    const [image, ...cmd] = args.positionals;
    if (image === undefined) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth run" requires at least 1 argument', { hint: "See 'berth run --help'" });
    const detach = flagBool(args, 'detach');
    if (detach && flagList(args, 'attach').length > 0) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'Conflicting options: -a and -d');
    const engine = ctx.engine();
    const op = ctx.operation();
    const interactive = flagBool(args, 'interactive');
    if (!detach && interactive && flagBool(args, 'tty') && !(ctx.stdin as { isTTY?: boolean }).isTTY) {
      throw errors.invalidArgument('NOT_A_TTY', 'the input device is not a TTY');
    }
    // Docker records the streams a foreground run attaches, none for -d.
    const attach = detach ? { stdin: false, stdout: false, stderr: false } : attachChoice(args, interactive);
    const create = () => createWithCidFile(args, () => pullingIfMissing(ctx, args, image, op, () => engine.containers.create({ ...createOptions(args, image, cmd), openStdin: interactive, stdinOnce: interactive && !detach, attach }, op)));
    if (detach) {
      const record = await create();
      await engine.containers.start(record, {}, op);
      ctx.stdout.write(`${record.id}\n`);
      return 0;
    }
    return attachedStart(ctx, args, interactive, create, (record, options) => engine.containers.start(record, options, op));
  },
};

/** Which streams `-a` names (all of stdout and stderr, and stdin with -i, when none). */
export function attachChoice(args: Parsed, interactive: boolean) {
  // `run -a STREAM` names streams; `start -a` is a switch.
  const value = args.flags.get('attach');
  const named = (Array.isArray(value) ? value : []).map((s) => s.toLowerCase());
  for (const s of named) {
    if (!['stdin', 'stdout', 'stderr'].includes(s)) throw errors.invalidArgument('INVALID_ATTACH', `invalid argument "${s}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
  }
  if (named.length === 0) return { stdin: interactive, stdout: true, stderr: true };
  return { stdin: named.includes('stdin'), stdout: named.includes('stdout'), stderr: named.includes('stderr') };
}

/**
 * Starts (or attaches to) a container with the user's terminal and signals wired to it; returns
 * the exit code. The signal proxy is installed before `target` looks up or creates the container,
 * so that a Ctrl-C meanwhile keeps it from starting.
 */
export async function attachedStart(
  ctx: CliContext,
  args: Parsed,
  interactive: boolean,
  target: () => Promise<ContainerRecord>,
  start: (record: ContainerRecord, options: StartOptions) => Promise<AttachResult | undefined>,
): Promise<number> {
  const engine = ctx.engine();
  const proxy = signalProxy((err) => ctx.stderr.write(`berth: ${err.message}\n`), args.flags.get('sig-proxy') !== false);
  let session: TerminalSession | undefined;
  try {
    const record = await target();
    const tty = record.config.Tty === true;
    session = openTerminalSession(ctx, { tty, ...attachChoice(args, interactive), detachKeys: flagString(args, 'detach-keys') });
    const streams = session.streams;
    const result = await start(record, {
      attach: streams,
      signal: proxy.abort.signal,
      onStarted: () => {
        proxy.started((signal) => engine.containers.kill(record.id, signal));
        session?.followSize(engine, record.id);
      },
    });
    if (result === undefined || 'detached' in result) return 0;
    return result.exitCode;
  } finally {
    proxy.close();
    session?.close();
  }
}

const proxied = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
const stopping = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);

/**
 * Like `docker run`'s signal proxy: signals sent to berth go to the container's process (the
 * runtime runs in its own process group, so a terminal's Ctrl-C reaches it only this way).
 * Installed before the container exists, so none is lost: until the runtime has spawned, a
 * stopping signal (Ctrl-C) aborts the run, so the container never starts; others wait and are
 * delivered once it has.
 */
function signalProxy(report: (err: Error) => void, enabled = true) {
  const abort = new AbortController();
  const pending: NodeJS.Signals[] = [];
  let deliver: ((signal: NodeJS.Signals) => Promise<void>) | undefined;
  const send = (signal: NodeJS.Signals) => void deliver?.(signal).catch(report);
  const forward = (signal: NodeJS.Signals) => {
    if (deliver) send(signal);
    else if (stopping.has(signal)) abort.abort(signal);
    else pending.push(signal);
  };
  if (enabled) proxied.forEach((s) => process.on(s, forward));
  return {
    abort,
    started(kill: (signal: NodeJS.Signals) => Promise<void>) {
      deliver = kill;
      pending.splice(0).forEach(send);
    },
    close: () => proxied.forEach((s) => process.off(s, forward)),
  };
}

