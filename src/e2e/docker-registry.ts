/**
 * Debian's docker-registry (the CNCF Distribution registry 2.8) on a free loopback port, started by
 * a test with its own storage; basic auth with an htpasswd file, or TLS and token auth. Shared by
 * registry.test.ts (berth pull/push) and the daemon's tests (docker pull/push through berth daemon).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, createServer as netServer } from 'node:net';
import { join } from 'node:path';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      get(url, (res) => {
        res.resume();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} did not open`);
}

/** A docker-registry on a free loopback port with its own storage; `htpasswd` turns on basic auth. */
export async function startRegistry(dir: string, htpasswd?: string, extra: { tls?: { cert: string; key: string }; token?: { realm: string; bundle: string } } = {}): Promise<{ host: string; child: ChildProcess; log: () => string }> {
  const port = await freePort();
  const config = [
    'version: 0.1',
    'log:\n  level: info',
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true`,
    `http:\n  addr: 127.0.0.1:${port}${extra.tls ? `\n  tls:\n    certificate: ${extra.tls.cert}\n    key: ${extra.tls.key}` : ''}`,
    ...(htpasswd ? [`auth:\n  htpasswd:\n    realm: berth-test\n    path: ${htpasswd}`] : []),
    ...(extra.token ? [`auth:\n  token:\n    realm: ${extra.token.realm}\n    service: berth-test\n    issuer: berth-test-issuer\n    rootcertbundle: ${extra.token.bundle}`] : []),
  ].join('\n');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.yml'), `${config}\n`);
  // Its log goes straight to a file: a pipe nobody reads while spawnSync blocks this process would stall it.
  const logPath = join(dir, 'registry.log');
  const logFd = openSync(logPath, 'w');
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  if (extra.tls) await waitForPort(port);
  else await waitForHttp(`http://127.0.0.1:${port}/v2/`);
  return { host: `127.0.0.1:${port}`, child, log: () => readFileSync(logPath, 'utf8') };
}
