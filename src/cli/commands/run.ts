import { errors } from '../../base/index.js';
import { flagBool } from '../args.js';
import type { Command } from '../command.js';
import { containerFlags, createOptions, createWithCidFile } from '../container-flags.js';

export const runCommand: Command = {
  name: 'run',
  usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  stopAtPositional: true,
  errorExitCode: 125,
  flags: {
    ...containerFlags,
    interactive: { kind: 'bool', short: 'i', description: 'Keep STDIN open and pass it to the container' },
    tty: { kind: 'bool', short: 't', description: 'Allocate a pseudo-TTY (not supported yet)' },
    detach: { kind: 'bool', short: 'd', description: 'Run container in background (not supported yet)' },
  },
  async run(ctx, args) {
    const [image, ...cmd] = args.positionals;
    if (image === undefined) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth run" requires at least 1 argument', { hint: "See 'berth run --help'" });
    if (flagBool(args, 'detach')) throw errors.notImplemented('DETACH_UNSUPPORTED', 'Cannot run detached yet: berth runs containers in the foreground for now');
    if (flagBool(args, 'tty')) throw errors.notImplemented('TTY_UNSUPPORTED', 'Cannot allocate a TTY yet: run without -t');
    const engine = ctx.engine();
    const proxy = signalProxy((err) => ctx.stderr.write(`berth: ${err.message}\n`));
    const op = ctx.operation();
    try {
      const record = await createWithCidFile(args, () => engine.containers.create(createOptions(args, image, cmd), op));
      return await engine.containers.runAttached(record, {
        stdio: [flagBool(args, 'interactive') ? 0 : 'ignore', 1, 2],
        signal: proxy.abort.signal,
        onSpawn: () => proxy.started((signal) => engine.containers.kill(record.id, signal)),
      }, op);
    } finally {
      proxy.close();
    }
  },
};

const proxied = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
const stopping = new Set<NodeJS.Signals>(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);

/**
 * Like `docker run`'s signal proxy: signals sent to berth go to the container's process (the
 * runtime runs in its own process group, so a terminal's Ctrl-C reaches it only this way).
 * Installed before the container exists, so none is lost: until the runtime has spawned, a
 * stopping signal (Ctrl-C) aborts the run, so the container never starts; others wait and are
 * delivered once it has.
 */
function signalProxy(report: (err: Error) => void) {
  const abort = new AbortController();
  const pending: NodeJS.Signals[] = [];
  let deliver: ((signal: NodeJS.Signals) => Promise<void>) | undefined;
  const send = (signal: NodeJS.Signals) => void deliver?.(signal).catch(report);
  const forward = (signal: NodeJS.Signals) => {
    if (deliver) send(signal);
    else if (stopping.has(signal)) abort.abort(signal);
    else pending.push(signal);
  };
  proxied.forEach((s) => process.on(s, forward));
  return {
    abort,
    started(kill: (signal: NodeJS.Signals) => Promise<void>) {
      deliver = kill;
      pending.splice(0).forEach(send);
    },
    close: () => proxied.forEach((s) => process.off(s, forward)),
  };
}

