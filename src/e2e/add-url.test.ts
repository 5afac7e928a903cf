/**
 * ADD <url> against an HTTP server this test starts on 127.0.0.1 (nothing else is ever
 * contacted): failures name the URL and the cause (connection refused, HTTP status) instead of
 * `internal error: TypeError: fetch failed`; a download is named by the URL's decoded path (or
 * the destination), mode 0600, mtime from Last-Modified, and `--checksum` is verified.
 * berth runs asynchronously here: a spawnSync would block the server in this process.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { BuildStore } from './build-harness.js';
import { createBuildStore } from './build-harness.js';
import { berthBin, busyboxImage } from './harness.js';

const body = 'downloaded content\n';
const lastModified = 'Wed, 21 Oct 2015 07:28:00 GMT';

describe('ADD <url>', { concurrency: false }, () => {
  let store: BuildStore;
  let work: string;
  let server: Server;
  let base: string;
  let n = 0;

  const berth = (args: string[], env: Record<string, string | undefined> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(berthBin, args, { env: { ...process.env, BERTH_ROOT: store.root, BERTH_DEBUG: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
    });
  const buildWith = (env: Record<string, string | undefined>, dockerfile: string, ...extra: string[]) => {
    const dir = join(work, `ctx-${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    return berth(['build', '--progress', 'plain', '--network', 'none', ...extra, dir], env);
  };
  const build = (dockerfile: string, ...extra: string[]) => buildWith({}, dockerfile, ...extra);

  before(async () => {
    store = createBuildStore();
    work = mkdtempSync(join(tmpdir(), 'berth-add-url-'));
    server = createServer((req, res) => {
      if (req.url === '/missing') {
        res.writeHead(404).end('no');
        return;
      }
      res.writeHead(200, { 'Last-Modified': lastModified, 'Content-Type': 'text/plain' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    store.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test('a refused connection names the URL and the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const url = `http://127.0.0.1:${port}/file`;
    const r = await build(`FROM ${busyboxImage}\nADD ${url} /x\n`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /BERTH_E_ADD_DOWNLOAD_FAILED/);
    assert.ok(r.stderr.includes(url) && r.stderr.includes('ECONNREFUSED'), r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|TypeError/);
  });

  test('an HTTP error status names the URL and the status', async () => {
    const r = await build(`FROM ${busyboxImage}\nADD ${base}/missing /x\n`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /BERTH_E_ADD_DOWNLOAD_FAILED/);
    assert.ok(r.stderr.includes(`${base}/missing`) && r.stderr.includes('404'), r.stderr);
  });

  test('the file is named by the decoded URL path or the destination, mode 0600, mtime from Last-Modified', async () => {
    const r = await build(`FROM ${busyboxImage}\nADD ${base}/dir/fi%20le.txt /dl/\nADD ${base}/other /named\nADD ${base}/ /root-url/\n`, '-t', 'add-url:1');
    assert.equal(r.code, 0, r.stderr);
    const shown = await berth(['run', '--rm', 'add-url:1', 'sh', '-c', 'for f in "/dl/fi le.txt" /named /root-url/__unnamed__; do stat -c "%a %u %Y" "$f"; cat "$f"; done']);
    assert.equal(shown.code, 0, shown.stderr);
    const line = `600 0 ${Date.parse(lastModified) / 1000}\n${body}`;
    assert.equal(shown.stdout, line.repeat(3));
  });

  test('--checksum is verified', async () => {
    const good = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const ok = await build(`FROM ${busyboxImage}\nADD --checksum=${good} ${base}/f /f\n`);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await build(`FROM ${busyboxImage}\nADD --checksum=sha256:${'0'.repeat(64)} ${base}/f /f\n`);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /BERTH_E_ADD_CHECKSUM_MISMATCH/);
    const malformed = await build(`FROM ${busyboxImage}\nADD --checksum=sha256:abc ${base}/f /f\n`);
    assert.match(malformed.stderr, /BERTH_E_ADD_CHECKSUM_INVALID/);
    const local = await build(`FROM ${busyboxImage}\nADD --checksum=${good} Dockerfile /f\n`);
    assert.match(local.stderr, /BERTH_E_ADD_CHECKSUM_NOT_URL/);
  });

  test('HTTPS trusts the CAs NODE_EXTRA_CA_CERTS names (bin/berth moves the variable off Node\'s start-up), redirects followed', async () => {
    const pki = join(work, 'pki');
    mkdirSync(pki);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=berth test CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(pki, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    const secure = createHttpsServer({ key: readFileSync(join(pki, 'server.key')), cert: readFileSync(join(pki, 'server.pem')) }, (req, res) => {
      if (req.url === '/moved') res.writeHead(302, { Location: '/real.txt' }).end();
      else res.writeHead(200, { 'Last-Modified': lastModified }).end(body);
    });
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(secure.address() as AddressInfo).port}/moved`;
      const dockerfile = `FROM ${busyboxImage}\nADD ${url} /dl/\n`;
      const trusted = await buildWith({ NODE_EXTRA_CA_CERTS: join(pki, 'ca.pem') }, dockerfile, '-t', 'add-url:https');
      assert.equal(trusted.code, 0, trusted.stderr);
      const shown = await berth(['run', '--rm', '--network', 'none', 'add-url:https', 'sh', '-c', 'stat -c "%a %Y" /dl/moved; cat /dl/moved']);
      assert.equal(shown.stdout, `600 ${Date.parse(lastModified) / 1000}\n${body}`, shown.stderr);
      // The CA is what made it work: without it the server's certificate is not trusted.
      const untrusted = await buildWith({ NODE_EXTRA_CA_CERTS: undefined, BERTH_NODE_EXTRA_CA_CERTS: undefined }, dockerfile);
      assert.equal(untrusted.code, 1, untrusted.stderr);
      assert.match(untrusted.stderr, /BERTH_E_ADD_DOWNLOAD_FAILED/);
      assert.ok(untrusted.stderr.includes(url) && /certificate/.test(untrusted.stderr), untrusted.stderr);
      // A container still sees the variable berth was given (`-e NAME` takes it from berth's environment).
      const passed = await berth(['run', '--rm', '--network', 'none', '-e', 'NODE_EXTRA_CA_CERTS', busyboxImage, 'sh', '-c', 'echo "$NODE_EXTRA_CA_CERTS"'], { NODE_EXTRA_CA_CERTS: join(pki, 'ca.pem') });
      assert.equal(passed.stdout, `${join(pki, 'ca.pem')}\n`, passed.stderr);
    } finally {
      await new Promise((resolve) => secure.close(resolve));
    }
  });
});
