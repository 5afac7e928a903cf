import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';

import { isBerthError } from '../../base/index.js';
import { createHttpRegistryClient } from './http-registry-client.js';
import { clientHello, probeTls, startsTlsRecord } from './tls-probe.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-tls-probe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A certificate for 127.0.0.1 signed by a CA of its own (openssl, as the registry TLS tests make theirs). */
function certificate(name: string): { ca: string; cert: string; key: string } {
  const f = (x: string) => join(dir, `${name}.${x}`);
  const run = (args: string[]) => assert.equal(spawnSync('openssl', args, { stdio: 'ignore' }).status, 0, `openssl ${args[0]}`);
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', `/CN=berth probe test CA ${name}`]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('key'), '-out', f('csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', f('csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('crt'), '-days', '1', '-extfile', f('ext')]);
  return { ca: readFileSync(f('ca.crt'), 'utf8'), cert: readFileSync(f('crt'), 'utf8'), key: readFileSync(f('key'), 'utf8') };
}

async function listening<T extends Server>(server: T): Promise<{ server: T; port: number; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

let tlsCert: { ca: string; cert: string; key: string };
before(() => {
  tlsCert = certificate('server');
});

describe('the TLS probe', () => {
  test('the ClientHello is one TLS handshake record, with SNI for a name and none for an address, and a line end for line-reading HTTP servers', () => {
    for (const name of ['registry.example', '127.0.0.1', '::1']) {
      const hello = clientHello(name);
      assert.equal(hello[0], 0x16);
      assert.equal(hello[1], 0x03);
      assert.equal(hello.readUInt16BE(3), hello.length - 5, 'the record length');
      assert.equal(hello[5], 1, 'a ClientHello');
      assert.equal(hello.readUIntBE(6, 3), hello.length - 9, 'the handshake length');
      assert.equal(hello.includes(Buffer.from('registry.example')), name === 'registry.example');
      assert.ok(hello.includes(Buffer.from('\r\n')));
    }
    assert.ok(startsTlsRecord(0x15) && startsTlsRecord(0x16) && !startsTlsRecord('H'.charCodeAt(0)));
  });

  test('TLS servers answer it (1.3 only, 1.2 only, and one that takes none of its suites and alerts): tls', async () => {
    const variants = [{}, { minVersion: 'TLSv1.3' as const }, { maxVersion: 'TLSv1.2' as const }, { maxVersion: 'TLSv1.2' as const, ciphers: 'AES256-SHA256' }];
    for (const variant of variants) {
      const s = await listening(createTlsServer({ cert: tlsCert.cert, key: tlsCert.key, ...variant }, (c) => c.end()));
      s.server.on('tlsClientError', () => undefined);
      try {
        assert.equal(await probeTls('127.0.0.1', s.port), 'tls', JSON.stringify(variant));
      } finally {
        await s.close();
      }
    }
  });

  test('an HTTP server answers it with a 400: plain; refused, closed at once or silent: unknown', async () => {
    const http = await listening(createHttpServer((_req, res) => res.end('hello')));
    const closing = await listening(createNetServer((c) => c.destroy()));
    const silent = await listening(createNetServer(() => undefined));
    try {
      assert.equal(await probeTls('127.0.0.1', http.port), 'plain');
      assert.equal(await probeTls('127.0.0.1', closing.port), 'unknown');
      assert.equal(await probeTls('127.0.0.1', silent.port, 300), 'unknown');
      const refused = silent.port;
      await silent.close();
      assert.equal(await probeTls('127.0.0.1', refused), 'unknown');
    } finally {
      await http.close();
      await closing.close();
    }
  });
});

describe('a loopback registry: plain HTTP after the probe, TLS always verified', () => {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] }));
  const serveManifest = (_req: unknown, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': manifest.length, 'docker-content-digest': `sha256:${createHash('sha256').update(manifest).digest('hex')}` });
    res.end(manifest);
  };
  const noCertDirs = { certDirs: [join(dir, 'none')], credentials: null };

  test('plain HTTP: one probe connection (a ClientHello), then the request over HTTP', async () => {
    const firstBytes: number[] = [];
    const http = await listening(createHttpServer(serveManifest));
    http.server.on('connection', (s: Socket) => s.once('data', (d: Buffer) => firstBytes.push(d[0] ?? -1)));
    try {
      const client = createHttpRegistryClient(`127.0.0.1:${http.port}`, noCertDirs);
      const got = await client.getManifest('app', '1');
      assert.deepEqual(got.data, manifest);
      assert.deepEqual(firstBytes, [0x16, 'G'.charCodeAt(0)]);
    } finally {
      await http.close();
    }
  });

  test('a TLS registry whose certificate is not trusted is refused, and nothing is sent to it in plain HTTP; trusted through certs.d it is used over HTTPS', async () => {
    const plaintext: string[] = [];
    const https = await listening(createHttpsServer({ cert: tlsCert.cert, key: tlsCert.key }, serveManifest));
    https.server.on('connection', (s: Socket) => s.once('data', (d: Buffer) => {
      if (!startsTlsRecord(d[0] ?? 0)) plaintext.push(d.toString('latin1', 0, 20));
    }));
    https.server.on('tlsClientError', () => undefined);
    const host = `127.0.0.1:${https.port}`;
    try {
      const refused = await createHttpRegistryClient(host, noCertDirs).getManifest('app', '1').then(() => undefined, (err: unknown) => err);
      assert.ok(isBerthError(refused), String(refused));
      assert.equal(refused.code, 'BERTH_E_REGISTRY_UNAVAILABLE');
      assert.match(refused.message, /its TLS certificate is not trusted/);
      assert.deepEqual(plaintext, []);

      const certDir = join(dir, 'certs.d');
      mkdirSync(join(certDir, host), { recursive: true });
      writeFileSync(join(certDir, host, 'ca.crt'), tlsCert.ca);
      const got = await createHttpRegistryClient(host, { certDirs: [certDir], credentials: null }).getManifest('app', '1');
      assert.deepEqual(got.data, manifest);
      assert.deepEqual(plaintext, []);

      // another CA in certs.d: refused (another server: Node's https agent resumes the TLS session it verified before)
      const other = await listening(createHttpsServer({ cert: tlsCert.cert, key: tlsCert.key }, serveManifest));
      other.server.on('tlsClientError', () => undefined);
      try {
        const otherHost = `127.0.0.1:${other.port}`;
        mkdirSync(join(certDir, otherHost), { recursive: true });
        writeFileSync(join(certDir, otherHost, 'ca.crt'), certificate('other').ca);
        const wrong = await createHttpRegistryClient(otherHost, { certDirs: [certDir], credentials: null }).getManifest('app', '1').then(() => undefined, (err: unknown) => err);
        assert.ok(isBerthError(wrong) && /its TLS certificate is not trusted/.test(wrong.message), String(wrong));
      } finally {
        await other.close();
      }
    } finally {
      await https.close();
    }
  });

  test('a server that answers TLS with an alert is never spoken to in plain HTTP (no downgrade)', async () => {
    const plaintext: string[] = [];
    // a handshake_failure alert to every hello, as a TLS server that takes none of the client's offers sends
    const alert = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
    const srv = await listening(createNetServer((c) => {
      c.on('error', () => undefined);
      c.once('data', (d: Buffer) => {
        if (!startsTlsRecord(d[0] ?? 0)) plaintext.push(d.toString('latin1', 0, 20));
        c.end(alert);
      });
    }));
    try {
      const err = await createHttpRegistryClient(`127.0.0.1:${srv.port}`, noCertDirs).getManifest('app', '1').then(() => undefined, (e: unknown) => e);
      assert.ok(isBerthError(err), String(err));
      assert.equal(err.code, 'BERTH_E_REGISTRY_UNAVAILABLE');
      assert.deepEqual(plaintext, []);
    } finally {
      await srv.close();
    }
  });
});
