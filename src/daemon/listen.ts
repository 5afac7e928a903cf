/**
 * Where the daemon listens: unix sockets (mode 0660, owned by the daemon's group), TCP only with
 * TLS client certificates, and `fd://` for sockets systemd passes (socket activation). Unix
 * sockets, ours and systemd's, are accepted by the native lane (sys ApiLane) when one is asked for: it answers
 * `docker ps` itself and hands every other connection over as a net.Socket on its descriptor.
 */
import { chmodSync, chownSync, closeSync, existsSync, readFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { connect, createServer as createNetServer, type Server as NetServer, Socket } from 'node:net';
import { dirname } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';

import { errors, isBerthError } from '../base/index.js';
import { ApiLane, isUnixStreamListener, listenUnixSocket } from '../sys/index.js';

export type HostAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } | { kind: 'fd'; fds: number[] | 'all' };

/** `unix:///run/berth/berth.sock`, `tcp://0.0.0.0:2376`, `fd://` or `fd://3` (dockerd's -H forms). */
export function parseHost(text: string): HostAddress {
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!path.startsWith('/')) throw errors.invalidArgument('INVALID_HOST', `invalid host ${JSON.stringify(text)}: the socket path must be absolute`);
    return { kind: 'unix', path };
  }
  if (text.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(text);
    const port = m?.[2] === undefined ? 2376 : Number(m[2]);
    if (!m || port < 1 || port > 65535) throw errors.invalidArgument('INVALID_HOST', `invalid host ${JSON.stringify(text)}: expected tcp://HOST:PORT`);
    return { kind: 'tcp', host: (m[1] || '0.0.0.0').replace(/^\[|\]$/g, ''), port };
  }
  if (text === 'fd://') return { kind: 'fd', fds: 'all' };
  if (/^fd:\/\/\d+$/.test(text)) return { kind: 'fd', fds: [Number(text.slice(5))] };
  throw errors.invalidArgument('INVALID_HOST', `invalid host ${JSON.stringify(text)}: expected unix:///PATH, tcp://HOST:PORT or fd://`);
}

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

export interface ListenOptions {
  hosts: HostAddress[];
  /** The group that owns unix sockets; `undefined` keeps root's. */
  group?: { name: string; required: boolean };
  /** Client-certificate TLS, required for TCP. */
  tls?: TlsFiles;
  /** Unix sockets go to a native lane with these answers' heads and API versions (1.41 → 141). */
  lane?: { heads: { ping: string; list: string }; versions: { min: number; max: number } };
  warn(message: string): void;
}

/** Takes a connection; `taken` is what the native lane read from it and did not answer, or answered and could not write. */
export type AcceptConnection = (socket: Socket, taken?: { unread?: Buffer | undefined; unwritten?: Buffer | undefined }) => void;

export interface DaemonListener {
  /** Where it listens, for the log. */
  addresses: string[];
  /** The native lane serving the unix sockets, when one was asked for and there are some. */
  lane?: ApiLane;
  close(): Promise<void>;
}

/** The gid of a group in /etc/group. */
function groupId(name: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  const line = readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  const gid = line?.split(':')[2];
  return gid === undefined ? undefined : Number(gid);
}

/** Whether something answers on a unix socket (a running daemon), so a stale one can be replaced. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function listenOn(server: NetServer | TlsServer, target: { path: string } | { host: string; port: number } | { fd: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function listenAll(accept: AcceptConnection, options: ListenOptions): Promise<DaemonListener> {
  // The API server never listens itself: each listener hands its connections to `accept`, so a
  // unix socket, a TLS port and systemd's sockets are served alike.
  const servers: (NetServer | TlsServer)[] = [];
  const addresses: string[] = [];
  const sockets: string[] = [];
  /** Listening descriptors for the native lane (it owns them once it starts). */
  const laneFds: number[] = [];
  let lane: ApiLane | undefined;
  let closed = false;
  const close = async () => {
    closed = true;
    if (lane) lane.stop();
    else for (const fd of laneFds.splice(0)) closeSync(fd);
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const path of sockets) {
      try {
        unlinkSync(path);
      } catch { /* already gone */ }
    }
  };
  // Half-open, as http.Server's own listener makes them: a hijacked attach or exec goes on
  // writing after the client half-closed (the docker CLI does so at once when it sends no stdin).
  const halfOpen = { allowHalfOpen: true };
  try {
    for (const host of options.hosts) {
      if (host.kind === 'unix') {
        mkdirSync(dirname(host.path), { recursive: true });
        if (existsSync(host.path)) {
          if (await socketInUse(host.path)) throw errors.alreadyExists('DAEMON_RUNNING', `${host.path} is in use: is another daemon running?`);
          unlinkSync(host.path);
        }
        if (options.lane) {
          laneFds.push(listenUnixNatively(host.path));
        } else {
          const server = createNetServer(halfOpen, (socket) => accept(socket));
          await listenOn(server, { path: host.path });
          servers.push(server);
        }
        sockets.push(host.path);
        chmodSync(host.path, 0o660);
        if (options.group) {
          const gid = groupId(options.group.name);
          if (gid === undefined) {
            if (options.group.required) throw errors.notFound('GROUP_NOT_FOUND', `group ${JSON.stringify(options.group.name)} not found: create it (groupadd ${options.group.name}) or choose another with --group`);
            options.warn(`group ${options.group.name} not found; ${host.path} stays owned by root:root (mode 0660)`);
          } else chownSync(host.path, 0, gid);
        }
        addresses.push(`unix://${host.path}`);
      } else if (host.kind === 'tcp') {
        if (!options.tls) {
          throw errors.invalidArgument('TCP_NEEDS_TLS', `refusing to listen on tcp://${host.host}:${host.port} without TLS client authentication: add --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY`);
        }
        const tls = createTlsServer({
          ca: readFileSync(options.tls.ca), cert: readFileSync(options.tls.cert), key: readFileSync(options.tls.key),
          requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', ...halfOpen,
        }, (socket) => accept(socket));
        // A client without a valid certificate is turned away by the handshake; nothing to log.
        tls.on('tlsClientError', () => undefined);
        await listenOn(tls, { host: host.host, port: host.port });
        servers.push(tls);
        addresses.push(`tcp://${host.host}:${host.port}`);
      } else {
        const fds = host.fds === 'all' ? systemdFds() : host.fds;
        if (fds.length === 0) throw errors.invalidArgument('NO_SOCKET_FDS', 'fd:// was given but systemd passed no sockets (LISTEN_FDS is not set for this process)');
        for (const fd of fds) {
          addresses.push(`fd://${fd}`);
          // systemd's unix sockets go to the native lane like ours; others (TCP) stay Node's.
          if (options.lane && isUnixStreamListener(fd)) {
            laneFds.push(fd);
            continue;
          }
          const server = createNetServer(halfOpen, (socket) => accept(socket));
          await listenOn(server, { fd });
          servers.push(server);
        }
      }
    }
    if (options.lane && laneFds.length > 0) {
      lane = ApiLane.start(laneFds, options.lane.heads, options.lane.versions, (fd, unread, unwritten) => {
        // A connection handed over as the listener closed is not served (it would keep the daemon up).
        if (closed) return void closeSync(fd);
        // Half-open, as the listeners above make theirs.
        accept(new Socket({ fd, readable: true, writable: true, ...halfOpen }), { unread: unread ?? undefined, unwritten: unwritten ?? undefined });
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { addresses, ...(lane ? { lane } : {}), close };
}

/** A listening unix socket at `path` for the native lane; a failure as Node's listen words it, in a berth error. */
function listenUnixNatively(path: string): number {
  try {
    return listenUnixSocket(path);
  } catch (err) {
    if (isBerthError(err)) throw err;
    // The addon words it as Node's errors are: "EACCES: Permission denied, listen '<path>'".
    throw errors.unavailable('LISTEN_FAILED', `cannot listen on ${path}: ${(err as Error).message.replace(/^[A-Z0-9]+: (.*), listen '.*'$/s, '$1')}`);
  }
}

/** The sockets systemd passed (sd_listen_fds): fds 3.. when LISTEN_PID is this process. */
function systemdFds(): number[] {
  if (Number(process.env['LISTEN_PID']) !== process.pid) return [];
  const n = Number(process.env['LISTEN_FDS'] ?? 0);
  return Array.from({ length: n }, (_, i) => 3 + i);
}
