import { mkdirSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';

import type { Operation } from '../base/index.js';
import { beginOperation, errors, isBerthError, isDiskFull } from '../base/index.js';
import type { Engine } from '../api/index.js';
import { exitCodeFor } from '../api/index.js';
import { parseArgs, renderHelp, usageHint } from './args.js';
import type { CliContext, Command } from './command.js';
import { isEngineError, markEngineErrors } from './engine-errors.js';

export interface CliOptions {
  /** Opens the engine on a store root; called at most once, by the first command that needs it. */
  openEngine(root: string): Engine;
  /** Opens an engine that drives a daemon (`--host`/BERTH_HOST); called at most once, instead of openEngine. */
  openRemoteEngine?(options: RemoteEngineOptions): Engine;
  /** Loads the commands (lazily, so `berth run` does not load the builder). */
  commands: Record<string, () => Promise<Command>>;
  /** `container ls` → `ps` and the like (Docker's management commands). */
  managementCommands?: Record<string, Record<string, readonly string[]>>;
  /** Commands berth runs itself (a monitor's exit command), left out of the help. */
  hiddenCommands?: Record<string, () => Promise<Command>>;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  version: string;
}

/** What `--host` and the TLS flags gave (the remote engine reads their environment forms itself). */
export interface RemoteEngineOptions {
  host: string;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

const globalFlags = {
  root: { kind: 'string', description: 'Root of the berth store (default /var/lib/berth, or $BERTH_ROOT)', value: 'DIR' },
  host: { kind: 'string', short: 'H', description: 'Daemon socket to talk to instead of a local store: unix:///PATH or tcp://HOST:PORT (default $BERTH_HOST)', value: 'HOST' },
  tlsverify: { kind: 'bool', description: 'Use TLS with a tcp:// host and verify the daemon (default $BERTH_TLS_VERIFY)' },
  tlscacert: { kind: 'string', description: 'CA that signs the daemon\'s certificate (default $BERTH_CERT_PATH/ca.pem)', value: 'FILE' },
  tlscert: { kind: 'string', description: 'TLS client certificate (default $BERTH_CERT_PATH/cert.pem)', value: 'FILE' },
  tlskey: { kind: 'string', description: 'TLS client key (default $BERTH_CERT_PATH/key.pem)', value: 'FILE' },
  help: { kind: 'bool', description: 'Print usage' },
  version: { kind: 'bool', short: 'v', description: 'Print version information and quit' },
} as const;

// --add-host's values too: the docker CLI checks them as it parses its flags (observed: docker 20.10, run and build).
const usageErrors = new Set(['BERTH_E_UNKNOWN_FLAG', 'BERTH_E_FLAG_NEEDS_VALUE', 'BERTH_E_INVALID_FLAG_FORMAT', 'BERTH_E_INVALID_ADD_HOST']);

/** Runs one berth command line and returns the process exit code. */
export async function runCli(argv: readonly string[], options: CliOptions): Promise<number> {
  const { stdout, stderr } = options;
  for (const stream of [stdout, stderr]) stream.on('error', exitOnClosedPipe);
  let command: Command | undefined;
  /** The command as typed (`container ls` for `ps`), for usage messages. */
  let typed = '';
  let engine: Engine | undefined;
  const operations: Operation[] = [];
  try {
    const global = parseArgs(argv, globalFlags, { stopAtPositional: true, command: '' });
    let [name, ...rest] = global.positionals;
    // `berth container ls` → `berth ps` (image bootstrap stays with the image command).
    const alias = name !== undefined && rest[0] !== undefined ? options.managementCommands?.[name]?.[rest[0]] : undefined;
    typed = alias ? `${name} ${rest[0]}` : (name ?? '');
    if (alias) [name, ...rest] = [...alias, ...rest.slice(1)];
    if (global.flags.get('version') === true) {
      stdout.write(`berth version ${options.version}\n`);
      return 0;
    }
    if (name === undefined || name === 'help' || global.flags.get('help') === true) {
      const target = name === 'help' ? rest[0] : undefined;
      if (target && options.commands[target]) {
        const c = await options.commands[target]();
        stdout.write(renderHelp(c.usage, c.description, c.flags));
      } else stdout.write(await overview(options));
      return 0;
    }
    const load = options.commands[name] ?? options.hiddenCommands?.[name];
    if (!load) {
      stderr.write(`berth: unknown command: berth ${name}\n\nRun 'berth --help' for more information\n`);
      return 1;
    }
    command = await load();
    if (rest.includes('--help') && (!command.stopAtPositional || rest.indexOf('--help') < firstPositional(rest))) {
      stdout.write(renderHelp(command.usage, command.description, command.flags));
      return 0;
    }
    const remote = remoteChoice(global.flags, name);
    const root = remote ? remote.host : storeRoot((global.flags.get('root') as string | undefined) ?? process.env['BERTH_ROOT'] ?? '/var/lib/berth');
    const parsed = parseArgs(rest, command.flags, { command: typed, usage: typedUsage(typed, command), ...(command.stopAtPositional ? { stopAtPositional: true } : {}) });
    if (remote && !options.openRemoteEngine) throw errors.notImplemented('REMOTE_UNSUPPORTED', 'This berth cannot talk to a daemon (--host)');
    const ctx: CliContext = {
      // A remote engine's errors are the daemon's only when they are its answers (not a refused connection).
      engine: () => (engine ??= remote && options.openRemoteEngine ? markEngineErrors(options.openRemoteEngine(remote), { daemonAnswersOnly: true }) : markEngineErrors(options.openEngine(root))),
      operation(signal) {
        const op = beginOperation({ ...(signal ? { signal } : {}), onWarning: (message) => void stderr.write(`berth: warning: ${message}\n`) });
        operations.push(op);
        return op;
      },
      // A getter: process.stdin builds a stream (and loads node:stream) when first read; most commands never do.
      get stdin() {
        return options.stdin;
      },
      stdout,
      stderr,
      root,
      remote: remote !== undefined,
      get version() {
        return options.version;
      },
    };
    return await command.run(ctx, parsed);
  } catch (err) {
    if (isBerthError(err)) {
      // A flag the command does not take, or one it cannot parse, is a usage error: the docker
      // CLI's message, the command's usage line, and 125.
      if (usageErrors.has(err.code)) {
        const hint = err.hint?.startsWith('\nUsage:') || !command ? err.hint : usageHint(typed, typedUsage(typed, command));
        stderr.write(`${err.message}${hint ? `\n${hint}` : ''}\n`);
        if (process.env['BERTH_DEBUG']) stderr.write(`${err.code}\n${err.stack ?? ''}\n`);
        return 125;
      }
      // The engine's errors are the daemon's: Docker's prefix, which scripts match on; run and
      // create put the CLI's name before it and their help after it, as the docker CLI does.
      const daemon = isEngineError(err) || err.code === 'BERTH_E_INVALID_FILTER';
      const text = `${daemon ? 'Error response from daemon: ' : ''}${err.message}${err.hint ? `\n${err.hint}` : ''}`;
      if (command?.errorExitCode === 125) stderr.write(`berth: ${text}${daemon ? `\n\nRun 'berth ${typed} --help' for more information` : ''}\n`);
      else stderr.write(daemon ? `${text}\n` : `berth: ${text}\n`);
      if (process.env['BERTH_DEBUG']) stderr.write(`${err.code}\n${err.stack ?? ''}\n`);
      return command?.errorExitCode === 125 ? exitCodeFor(err) : (command?.errorExitCode ?? (command ? 1 : 125));
    }
    if (isDiskFull(err)) {
      // Whatever no caller named: still a condition, not a crash. Node names the path when it knows it.
      const path = (err as { path?: unknown }).path;
      stderr.write(`berth: No space left on the device${typeof path === 'string' ? ` while writing "${path}"` : ''}\n`);
      return command?.errorExitCode ?? 1;
    }
    stderr.write(`berth: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return command?.errorExitCode ?? 1;
  } finally {
    operations.forEach((op) => op.end());
    engine?.close();
  }
}

/**
 * A reader that went away (`berth images | head -1`) ends berth quietly, for every command, as
 * SIGPIPE ends Docker's CLI and other Unix tools: exit status 141 (128 + SIGPIPE), no message.
 * Node ignores SIGPIPE and reports EPIPE as an 'error' event on the stream instead.
 */
function exitOnClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(141);
  throw err;
}

/**
 * The store root as an absolute real path: bundles need an absolute rootfs, and the runtime's
 * state directory is named by it, so `./store`, `store/` and a symlink must give one path.
 */
function storeRoot(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return realpathSync.native(resolve(dir));
}

/** The daemon itself, and what a container's monitor runs: always on the local store. */
const localOnlyCommands = new Set(['daemon', 'container cleanup', 'container exec-report', 'container healthcheck']);

/**
 * Whether the command talks to a daemon: `--host`, else BERTH_HOST unless `--root` names a store
 * (a flag beats the environment). `--root` with `--host` is a contradiction; `daemon` and the
 * commands monitors run work on a local store only.
 */
function remoteChoice(flags: Map<string, unknown>, command: string): RemoteEngineOptions | undefined {
  const localOnly = localOnlyCommands.has(command);
  const flag = flags.get('host') as string | undefined;
  const root = flags.get('root') as string | undefined;
  const tls = { tlsverify: flags.get('tlsverify') === true, tlscacert: flags.get('tlscacert') as string | undefined, tlscert: flags.get('tlscert') as string | undefined, tlskey: flags.get('tlskey') as string | undefined };
  if (flag !== undefined && root !== undefined) {
    throw errors.invalidArgument('CONFLICTING_OPTIONS', '--root names a local store and --host a daemon: give one of them');
  }
  if (flag !== undefined && localOnly) {
    throw errors.invalidArgument('CONFLICTING_OPTIONS', `"berth ${command}" works on a local store: it does not take --host${command === 'daemon' ? " (the daemon's own -H, after the command, says where it listens)" : ''}`);
  }
  const env = process.env['BERTH_HOST'];
  const host = flag ?? (root === undefined && !localOnly && env !== undefined && env !== '' ? env : undefined);
  if (host === undefined) {
    if (tls.tlsverify || tls.tlscacert !== undefined || tls.tlscert !== undefined || tls.tlskey !== undefined) {
      throw errors.invalidArgument('TLS_WITHOUT_HOST', '--tlsverify and --tls* apply to a daemon: give --host tcp://HOST:PORT (or BERTH_HOST)');
    }
    return undefined;
  }
  return {
    host,
    ...(tls.tlsverify ? { tlsverify: true } : {}),
    ...(tls.tlscacert !== undefined ? { tlscacert: tls.tlscacert } : {}),
    ...(tls.tlscert !== undefined ? { tlscert: tls.tlscert } : {}),
    ...(tls.tlskey !== undefined ? { tlskey: tls.tlskey } : {}),
  };
}

/** A command's usage line as typed: `container ls [OPTIONS]` for `ps [OPTIONS]` reached as `container ls`. */
function typedUsage(typed: string, command: Command): string {
  return command.usage.startsWith(`${command.name} `) || command.usage === command.name ? `${typed}${command.usage.slice(command.name.length)}` : command.usage;
}

function firstPositional(args: readonly string[]): number {
  const i = args.findIndex((a) => !a.startsWith('-'));
  return i < 0 ? args.length : i;
}

async function overview(options: CliOptions): Promise<string> {
  const lines: string[] = [];
  for (const [name, load] of Object.entries(options.commands)) {
    const c = await load();
    lines.push(`  ${name.padEnd(12)}${c.description.split('\n')[0]}`);
  }
  return `\nUsage:  berth [OPTIONS] COMMAND\n\nA Docker-compatible container engine: containers are isolated processes (namespaces, cgroups),\nrun by an OCI runtime (crun or runc), from images in a local store.\n\nOptions:\n      --root DIR    Root of the berth store (default /var/lib/berth, or $BERTH_ROOT)\n  -H, --host HOST   Talk to a berth daemon (or any Docker Engine API) instead of a local store:\n                    unix:///run/berth/berth.sock, or tcp://HOST:PORT with --tlsverify (default $BERTH_HOST)\n      --tlsverify   Use TLS with a tcp:// host: --tlscacert, --tlscert, --tlskey FILE\n                    (default $BERTH_TLS_VERIFY, the files in $BERTH_CERT_PATH or ~/.berth)\n  -v, --version     Print version information and quit\n\nCommands:\n${lines.join('\n')}\n\nRun 'berth COMMAND --help' for more information on a command.\n`;
}
