import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { caOptions, extraCaCertificates, movedExtraCaVariable } from './extra-ca.js';

const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;

test('the moved NODE_EXTRA_CA_CERTS file: its certificates, added after the roots and before a registry\'s own', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-extra-ca-'));
  const saved = process.env[movedExtraCaVariable];
  t.after(() => {
    if (saved === undefined) delete process.env[movedExtraCaVariable];
    else process.env[movedExtraCaVariable] = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  delete process.env[movedExtraCaVariable];
  assert.deepEqual(extraCaCertificates(), []);
  assert.deepEqual(caOptions(['root']), {}, 'nothing to add: Node\'s default trust');
  assert.deepEqual(caOptions(['root'], ['mine']), { ca: ['root', 'mine'] });

  const file = join(dir, 'extra.pem');
  writeFileSync(file, `# a comment\n${pem('AAAA')}\nnoise\n${pem('BBBB')}\n`);
  process.env[movedExtraCaVariable] = file;
  assert.deepEqual(extraCaCertificates(), [pem('AAAA'), pem('BBBB')]);
  assert.deepEqual(caOptions(['root'], ['mine']), { ca: ['root', pem('AAAA'), pem('BBBB'), 'mine'] });

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
