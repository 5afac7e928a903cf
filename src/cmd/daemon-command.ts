/**
 * `berth daemon`: serves the Docker Engine API on the store the CLI uses, until SIGTERM or SIGINT.
 * Lives in cmd/ because it joins the CLI (its flags, its store) to the daemon module.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';

import { errors, markLongLived } from '../base/index.js';
import type { Command } from '../cli/index.js';
import { type AcceptConnection, apiConnectionHandler, apiRouter, apiVersionRange, createApiServer, listenAll, parseHost } from '../daemon/index.js';

export const defaultSocket = 'unix:///run/berth/berth.sock';

export const daemonCommand: Command = {
  name: 'daemon',
  usage: 'daemon [OPTIONS]',
  description: [
    'Serve the Docker Engine API on a socket',
    '',
    'The docker CLI, docker-compose, docker-py and dockerode drive berth through it:',
    '  DOCKER_HOST=unix:///run/berth/berth.sock docker ps',
    'The daemon works on the same store as the berth CLI, and both can be used at once. Containers',
    'are supervised by their monitors: stopping the daemon (SIGTERM) never stops a container.',
    'As a systemd service, socket-activated on /run/berth/berth.sock for root and the berth group:',
    '  ./scripts/setup.sh --install-service   (contrib/systemd/berth.socket and berth.service)',
  ].join('\n'),
  flags: {
    host: { kind: 'list', short: 'H', description: `Socket to listen on: unix:///PATH, tcp://HOST:PORT (needs --tlsverify) or fd:// (systemd) (default ${defaultSocket})`, value: 'list' },
    group: { kind: 'string', short: 'G', description: 'Group that owns the unix sockets, mode 0660 (default "berth")', value: 'string' },
    pidfile: { kind: 'string', short: 'p', description: 'Path of the pid file (default "/run/berth/berth.pid")', value: 'string' },
    tlsverify: { kind: 'bool', description: 'Require TLS client certificates signed by --tlscacert (needed for tcp://)' },
    tlscacert: { kind: 'string', description: 'CA certificates that sign client certificates', value: 'string' },
    tlscert: { kind: 'string', description: "The daemon's TLS certificate", value: 'string' },
    tlskey: { kind: 'string', description: "The daemon's TLS key", value: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length > 0) throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth daemon" accepts no arguments', { hint: "See 'berth daemon --help'" });
    const str = (name: string) => args.flags.get(name) as string | undefined;
    const hosts = ((args.flags.get('host') as string[] | undefined) ?? [defaultSocket]).map(parseHost);
    const tlsFlags = ['tlscacert', 'tlscert', 'tlskey'].map(str);
    const tlsverify = args.flags.get('tlsverify') === true;
    if (!tlsverify && tlsFlags.some((f) => f !== undefined)) throw errors.invalidArgument('TLS_NEEDS_VERIFY', '--tlscacert, --tlscert and --tlskey take effect only with --tlsverify');
    if (tlsverify && tlsFlags.some((f) => f === undefined)) throw errors.invalidArgument('TLS_FILES_MISSING', '--tlsverify needs --tlscacert, --tlscert and --tlskey');
    for (const file of tlsFlags) if (file !== undefined && !existsSync(file)) throw errors.notFound('TLS_FILE_NOT_FOUND', `TLS file ${JSON.stringify(file)} not found`);
    const pidfile = str('pidfile') ?? '/run/berth/berth.pid';
    claimPidFile(pidfile);

    const log = (line: string) => void ctx.stderr.write(`berth daemon: ${line}\n`);
    // Before the engine opens: its caches for a process that serves many requests (base/long-lived.ts).
    markLongLived();
    const engine = ctx.engine();
    const apiOptions = { engine, info: { version: ctx.version ?? 'unknown', root: ctx.root }, router: apiRouter(), log };
    const api = createApiServer(apiOptions);
    const connections = new Set<Socket>();
    const handler = apiConnectionHandler(api, apiOptions);
    const accept: AcceptConnection = (socket, taken) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
      handler.accept(socket, taken);
    };
    // BERTH_NATIVE_LANE=0: every connection through Node (an A/B of the lane, or a way around it).
    const nativeLane = process.env['BERTH_NATIVE_LANE'] !== '0';
    try {
      const group = str('group');
      const listener = await listenAll(accept, {
        hosts,
        group: { name: group ?? 'berth', required: group !== undefined },
        ...(tlsverify ? { tls: { ca: tlsFlags[0]!, cert: tlsFlags[1]!, key: tlsFlags[2]! } } : {}),
        ...(nativeLane ? { lane: { heads: handler.laneHeads, versions: apiVersionRange() } } : {}),
        warn: (message) => log(`warning: ${message}`),
      });
      handler.useLane(listener.lane);
      log(`API listening on ${listener.addresses.join(', ')} (store ${ctx.root}, pid ${process.pid})`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log(`${signal}: shutting down; containers keep running`);
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          resolve();
        };
        const onTerm = () => stop('SIGTERM');
        const onInt = () => stop('SIGINT');
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
      });
      const lane = listener.lane?.stats();
      if (lane) log(`native lane: answered ${lane.answered} requests, handed ${lane.handedOver} connections to Node`);
      handler.useLane(undefined);
      const closing = listener.close();
      for (const socket of connections) socket.destroy();
      await closing;
      return 0;
    } finally {
      rmSync(pidfile, { force: true });
    }
  },
};

/** Writes the pid file, refusing when it names a live daemon (as dockerd does). */
function claimPidFile(path: string): void {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (pid > 0 && pid !== process.pid && existsSync(`/proc/${pid}`)) {
      throw errors.alreadyExists('DAEMON_RUNNING', `pid file ${path} names a running process (${pid}): is another berth daemon running?`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${process.pid}\n`);
}
