import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { test } from 'node:test';

import { spawnPiped } from '../../sys/index.js';
import { sealedRuntime } from './sealed-runtime.js';

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

test('sealedRuntime: one sealed copy per runtime binary, made again when the binary changes; only for crun and runc', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sealed-runtime-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // a stand-in "crun": echo, then printf in its place
  const crun = join(dir, 'crun');
  copyFileSync('/bin/echo', crun);
  const first = sealedRuntime(crun);
  assert.ok(first !== undefined);
  assert.equal(sealedRuntime(crun), first, 'kept while the binary is unchanged');
  const run = async (fd: number) => {
    const child = spawnPiped(crun, ['%s-', 'x'], false, fd);
    const [out, status] = await Promise.all([text(child.stdout), child.status]);
    assert.equal(status, 0);
    return out;
  };
  assert.equal(await run(first), '%s- x\n');
  rmSync(crun);
  copyFileSync('/usr/bin/printf', crun);
  const second = sealedRuntime(crun);
  assert.ok(second !== undefined);
  assert.equal(await run(second), 'x-');
  // the old copy was closed (its number may be the new one's); the new one holds the new bytes
  assert.ok(readFileSync(`/proc/self/fd/${second}`).equals(readFileSync('/usr/bin/printf')));
  assert.equal(readdirSync('/proc/self/fd').filter((fd) => readlinkSafe(`/proc/self/fd/${fd}`).startsWith('/memfd:berth-sealed:crun')).length, 1);

  const other = join(dir, 'my-runtime');
  copyFileSync('/bin/echo', other);
  assert.equal(sealedRuntime(other), undefined, 'a runtime not known to check for the copy runs from its path');
  assert.equal(sealedRuntime(join(dir, 'missing', 'crun')), undefined);
});
