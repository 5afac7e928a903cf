/** Commands on a container's lifecycle: create, start, stop, restart, kill, wait, attach, and the monitor's clean-up. */
import { errors } from '../../base/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { containerFlags, createOptions, createWithCidFile } from '../container-flags.js';
import { forEachRef, forEachRefInParallel } from '../for-each-ref.js';
import { attachChoice, attachedStart } from './run.js';
import { pullingIfMissing } from '../pull-missing.js';

const needs = (command: string, n: number, positionals: string[]) => {
  if (positionals.length < n) throw errors.invalidArgument('MISSING_ARGUMENT', `"berth ${command}" requires at least ${n} argument${n > 1 ? 's' : ''}`, { hint: `See 'berth ${command} --help'` });
};

export const createCommand: Command = {
  name: 'create',
  usage: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  stopAtPositional: true,
  errorExitCode: 125,
  flags: { ...containerFlags, attach: { kind: 'list', short: 'a', description: "Attach to STDIN, STDOUT or STDERR (recorded in the container's config, as Docker records it)", value: 'list' } },
  async run(ctx, args) {
    const [image, ...cmd] = args.positionals;
    needs('create', 1, args.positionals);
    const op = ctx.operation();
    const interactive = flagBool(args, 'interactive');
    // As docker create records them: stdout and stderr (and stdin with -i) unless -a names others.
    const attach = attachChoice(args, interactive);
    const record = await createWithCidFile(args, () => pullingIfMissing(ctx, args, image as string, op, () => ctx.engine().containers.create({ ...createOptions(args, image as string, cmd), openStdin: interactive, attach }, op)));
    ctx.stdout.write(`${record.id}\n`);
    return 0;
  },
};

export const startCommand: Command = {
  name: 'start',
  usage: 'start [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  flags: {
    attach: { kind: 'bool', short: 'a', description: 'Attach STDOUT/STDERR and forward signals' },
    interactive: { kind: 'bool', short: 'i', description: "Attach container's STDIN" },
    'detach-keys': { kind: 'string', description: 'Override the key sequence for detaching a container', value: 'string' },
  },
  async run(ctx, args) {
    needs('start', 1, args.positionals);
    const engine = ctx.engine();
    const attach = flagBool(args, 'attach') || flagBool(args, 'interactive');
    if (attach) {
      if (args.positionals.length > 1) throw errors.invalidArgument('ATTACH_MANY', 'you cannot start and attach multiple containers at once');
      const ref = args.positionals[0] as string;
      return attachedStart(ctx, args, flagBool(args, 'interactive'), () => engine.containers.inspect(ref),
        (record, options) => engine.containers.start(record, options, ctx.operation()));
    }
    const failed: string[] = [];
    const code = await forEachRef(ctx, args.positionals, async (ref) => {
      try {
        await engine.containers.start(ref, {}, ctx.operation());
      } catch (err) {
        failed.push(ref);
        throw err;
      }
      ctx.stdout.write(`${ref}\n`);
    });
    // The docker CLI's summary line after the daemon's errors.
    if (failed.length > 0) ctx.stderr.write(`Error: failed to start containers: ${failed.join(', ')}\n`);
    return code;
  },
};

const timeoutFlag = { kind: 'string', short: 't', description: 'Seconds to wait before killing the container', value: 'int' } as const;
const signalFlag = { kind: 'string', short: 's', description: 'Signal to send to the container', value: 'string' } as const;

function stopOptions(args: { flags: Map<string, unknown> }): { timeout?: number; signal?: string } {
  const t = args.flags.get('time') as string | undefined;
  const s = args.flags.get('signal') as string | undefined;
  const out: { timeout?: number; signal?: string } = {};
  if (t !== undefined) {
    if (!/^-?\d+$/.test(t)) throw errors.invalidArgument('INVALID_FLAG_FORMAT', `invalid argument "${t}" for "-t, --time" flag: strconv.ParseInt: parsing "${t}": invalid syntax`);
    out.timeout = Number(t);
  }
  if (s !== undefined) out.signal = s;
  return out;
}

export const stopCommand: Command = {
  name: 'stop',
  usage: 'stop [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  flags: { time: timeoutFlag, signal: signalFlag },
  async run(ctx, args) {
    needs('stop', 1, args.positionals);
    const options = stopOptions(args);
    return forEachRefInParallel(ctx, args.positionals, async (ref) => {
      await ctx.engine().containers.stop(ref, options);
    });
  },
};

export const restartCommand: Command = {
  name: 'restart',
  usage: 'restart [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  flags: { time: timeoutFlag, signal: signalFlag },
  async run(ctx, args) {
    needs('restart', 1, args.positionals);
    const options = stopOptions(args);
    return forEachRef(ctx, args.positionals, async (ref) => {
      const engine = ctx.engine();
      await engine.containers.stop(ref, options);
      await engine.containers.start(ref, {}, ctx.operation());
      ctx.stdout.write(`${ref}\n`);
    });
  },
};

export const killCommand: Command = {
  name: 'kill',
  usage: 'kill [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  flags: { signal: { kind: 'string', short: 's', description: 'Signal to send to the container (default "KILL")', value: 'string' } },
  async run(ctx, args) {
    needs('kill', 1, args.positionals);
    const signal = flagString(args, 'signal') ?? 'KILL';
    return forEachRefInParallel(ctx, args.positionals, async (ref) => {
      await ctx.engine().containers.kill(ref, signal);
    });
  },
};

export const waitCommand: Command = {
  name: 'wait',
  usage: 'wait CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  flags: {},
  async run(ctx, args) {
    needs('wait', 1, args.positionals);
    return forEachRef(ctx, args.positionals, async (ref) => {
      ctx.stdout.write(`${await ctx.engine().containers.wait(ref)}\n`);
    });
  },
};

export const attachCommand: Command = {
  name: 'attach',
  usage: 'attach [OPTIONS] CONTAINER',
  description: "Attach local standard input, output, and error streams to a running container",
  flags: {
    'no-stdin': { kind: 'bool', description: 'Do not attach STDIN' },
    'sig-proxy': { kind: 'bool', description: 'Proxy all received signals to the process (default true)' },
    'detach-keys': { kind: 'string', description: 'Override the key sequence for detaching a container', value: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length !== 1) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth attach" requires exactly 1 argument', { hint: "See 'berth attach --help'" });
    const engine = ctx.engine();
    const record = await engine.containers.inspect(args.positionals[0] as string);
    const interactive = record.config.OpenStdin === true && !flagBool(args, 'no-stdin');
    return attachedStart(ctx, args, interactive, async () => record, async (_, options) => {
      options.onStarted?.();
      return engine.containers.attach(record.id, options.attach ?? {});
    });
  },
};

/** What a container's monitor runs after the container exited; not for users (hidden from help). */
export const cleanupCommand: Command = {
  name: 'container cleanup',
  usage: 'container cleanup CONTAINER',
  description: "Clean up after a container exited (run by the container's monitor)",
  flags: {},
  async run(ctx, args) {
    const [id] = args.positionals;
    if (id === undefined) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth container cleanup" requires 1 argument');
    await ctx.engine().containers.cleanup(id);
    return 0;
  },
};

