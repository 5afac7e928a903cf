/**
 * A `berth daemon` started by a test on its own store and socket, and the real clients pointed at
 * it: the docker 28 CLI (/usr/local/bin/docker, when present) and Debian's docker.io 20.10 CLI
 * (/usr/bin/docker), each with a private DOCKER_CONFIG.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { berthBin, createStore, type Result, type Store } from './harness.js';

export const dockerClients = { v28: '/usr/local/bin/docker', v20: '/usr/bin/docker' } as const;
export type DockerClient = keyof typeof dockerClients;
/** The clients present on this machine (v20 comes with setup's docker.io; v28 where installed). */
export const presentClients = (Object.keys(dockerClients) as DockerClient[]).filter((c) => existsSync(dockerClients[c]));

export interface Daemon {
  store: Store;
  socket: string;
  /** `unix://...`, for DOCKER_HOST. */
  host: string;
  pidfile: string;
  process: ChildProcess;
  /** What the daemon wrote (its log). */
  log(): string;
  /** Runs a docker CLI against the daemon. */
  docker(args: string[], options?: { client?: DockerClient; input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number; cwd?: string }): Result;
  /** Environment for other clients (DOCKER_HOST, DOCKER_CONFIG). */
  env: Record<string, string>;
  /** Stops the daemon with SIGTERM and waits for it; the store stays. */
  stop(): Promise<void>;
  /** Starts it again on the same store and socket. */
  restart(): Promise<void>;
  /** Stops the daemon and disposes of the store. */
  dispose(): Promise<void>;
}

export async function startDaemon(options: { withBusybox?: boolean; store?: Store; args?: string[] } = {}): Promise<Daemon> {
  const store = options.store ?? createStore({ withBusybox: options.withBusybox ?? true });
  const dir = mkdtempSync(join(tmpdir(), 'berth-daemon-'));
  const socket = join(dir, 'berth.sock');
  const pidfile = join(dir, 'berth.pid');
  const logFile = join(dir, 'daemon.log');
  const configDir = join(dir, 'docker-config');
  const env = { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: configDir };
  let child: ChildProcess;
  const start = async () => {
    child = spawn('sh', ['-c', `exec "$0" "$@" >>'${logFile}' 2>&1`, berthBin, '--root', store.root, 'daemon', '-H', `unix://${socket}`, '--pidfile', pidfile, ...(options.args ?? [])], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (existsSync(socket) && spawnSync('curl', ['-sf', '--unix-socket', socket, 'http://berth/_ping']).status === 0) return;
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`berth daemon did not start: ${readLog()}`);
  };
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  await start();
  const daemon: Daemon = {
    store,
    socket,
    host: env.DOCKER_HOST,
    pidfile,
    get process() {
      return child;
    },
    log: readLog,
    env,
    docker(args, opts = {}) {
      const r = spawnSync(dockerClients[opts.client ?? presentClients[0]!], args, {
        env: { ...process.env, ...env, ...opts.env },
        input: opts.input ?? '',
        timeout: opts.timeoutMs ?? 60_000,
        // The docker CLI forwards SIGTERM to the container and keeps waiting: a hung client must die.
        killSignal: 'SIGKILL',
        maxBuffer: 256 << 20,
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
      });
      return { code: r.status ?? 128 + (r.signal ? 9 : 0), stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    async dispose() {
      await stop();
      if (!options.store) store.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return daemon;
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One raw HTTP request to the daemon's socket (what a client library would send), on a connection
 * of its own: a kept-alive one could have been closed by the daemon's idle timeout while a
 * spawnSync'd CLI held this process's event loop, and the request would fail with EPIPE.
 */
export function apiRequest(socket: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: socket, method, path, agent: false, headers: { Host: 'berth', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
