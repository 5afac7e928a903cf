import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect, createServer, rootCertificates } from 'node:tls';

import { caOptions, extraCaCertificates, movedExtraCaVariable } from './extra-ca.js';

/** A temporary directory, removed after the test with the moved variable put back as it was. */
function scratch(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-extra-ca-'));
  const saved = process.env[movedExtraCaVariable];
  t.after(() => {
    if (saved === undefined) delete process.env[movedExtraCaVariable];
    else process.env[movedExtraCaVariable] = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;

test('the moved NODE_EXTRA_CA_CERTS file: its certificates, added after the roots and before a registry\'s own', (t) => {
  const dir = scratch(t);
  delete process.env[movedExtraCaVariable];
  assert.deepEqual(extraCaCertificates(), []);
  assert.deepEqual(caOptions(['root']), {}, 'nothing to add: Node\'s default trust');

  const file = join(dir, 'extra.pem');
  writeFileSync(file, `# a comment\n${pem('AAAA')}\nnoise\n${pem('BBBB')}\n`);
  process.env[movedExtraCaVariable] = file;
  assert.deepEqual(extraCaCertificates(), [pem('AAAA'), pem('BBBB')]);

  // A file that cannot be read: Node's warning, and no certificates (as Node does at start-up).
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  process.env[movedExtraCaVariable] = join(dir, 'missing.pem');
  assert.deepEqual(extraCaCertificates(), []);
  return new Promise<void>((resolve) => setImmediate(() => {
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /Ignoring extra certs from `.*missing\.pem`, load failed/);
    resolve();
  }));
});

/** A self-signed certificate for `localhost` and its key (openssl, as the registry TLS tests make theirs). */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  assert.equal(r.status, 0, 'openssl req');
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** Whether a TLS client with `options` accepts the server's certificate. */
async function handshake(server: { cert: string; key: string }, options: object): Promise<boolean> {
  const srv = createServer(server, (s) => s.end());
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<boolean>((resolve) => {
      const c = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
        resolve(c.authorized);
        c.destroy();
      });
      c.on('error', () => resolve(false));
    });
  } finally {
    srv.close();
  }
}

// Mutation seen red: no certificate added to the context (the extra file's certificate not trusted).
test('caOptions: one secure context per set of certificates, trusting the moved extra file\'s and a registry\'s own', async (t) => {
  const dir = scratch(t);
  const fromFile = selfSigned(dir, 'extra');
  const registry = selfSigned(dir, 'registry');
  writeFileSync(join(dir, 'extra.pem'), fromFile.cert);
  process.env[movedExtraCaVariable] = join(dir, 'extra.pem');
  assert.equal(await handshake(fromFile, {}), false, 'Node alone does not trust it');
  const options = caOptions(rootCertificates);
  assert.ok(options.secureContext, 'a secure context');
  assert.equal(caOptions(rootCertificates).secureContext, options.secureContext, 'made once');
  assert.equal(await handshake(fromFile, options), true, 'the moved extra file\'s certificate is trusted');
  assert.equal(await handshake(registry, options), false, 'a registry\'s own only where it is given');
  const withRegistry = caOptions(rootCertificates, [registry.cert]);
  assert.notEqual(withRegistry.secureContext, options.secureContext);
  assert.equal(await handshake(registry, withRegistry), true);
  assert.equal(await handshake(fromFile, withRegistry), true);
});
