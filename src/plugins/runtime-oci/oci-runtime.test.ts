import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { createOciRuntime, runtimeError } from './oci-runtime.js';

// Messages as crun 1.8.1 and runc 1.1.5 print them on this machine kind (recorded by hand).
test('a missing command is NotFound with crun\'s and runc\'s wording', () => {
  for (const message of [
    'executable file `nonexist` not found in $PATH: No such file or directory',
    'runc run failed: unable to start container process: exec: "nonexist": executable file not found in $PATH',
  ]) {
    const err = runtimeError('crun', 'id', 'run', message);
    assert.equal(err.code, 'BERTH_E_COMMAND_NOT_FOUND');
    assert.match(err.message, /nonexist/);
  }
});

test('a command that cannot be executed is PermissionDenied', () => {
  for (const message of ['open executable: Permission denied', 'runc run failed: unable to start container process: exec: "/etc/passwd": permission denied']) {
    assert.equal(runtimeError('crun', 'id', 'run', message).code, 'BERTH_E_COMMAND_NOT_EXECUTABLE');
  }
});

test('other failures keep the runtime\'s message', () => {
  const err = runtimeError('crun', 'id', 'run', 'cgroups in hybrid mode not supported, drop all controllers from cgroupv2');
  assert.equal(err.code, 'BERTH_E_RUNTIME_FAILED');
  assert.match(err.message, /hybrid mode/);
});

test('an id the runtime does not know is NotFound in crun\'s and runc\'s wording', () => {
  for (const message of [
    'error opening file `/run/berth/abc/crun/id/status`: No such file or directory',
    "cannot open directory '/run/berth/abc/crun/id': No such file or directory",
    'container does not exist',
  ]) {
    assert.equal(runtimeError('crun', 'id', 'kill', message).code, 'BERTH_E_RUNTIME_CONTAINER_NOT_FOUND');
  }
});

test('a container whose state vanished while crun deleted it is NotFound', () => {
  const err = runtimeError('crun', 'id', 'delete', 'cannot rm state directory `/run/berth/x/crun/id`: No such file or directory');
  assert.equal(err.code, 'BERTH_E_RUNTIME_CONTAINER_NOT_FOUND');
});

test('an exec failed only when the runtime exits 255 with an error logged; another status is the command\'s own', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-exec-outcome-'));
  try {
    const driver = createOciRuntime({ binary: '/usr/bin/crun', stateDir: join(dir, 'state'), logDir: dir });
    const log = join(dir, 'id.exec-1.json');
    // What crun 1.8.1 logs (and exits 255 with) for a missing command, recorded on this machine kind.
    writeFileSync(log, '{"msg":"executable file `/nonexistent` not found in $PATH: No such file or directory","level":"error","time":"2026-11-30T11:48:30Z"}\n');
    await assert.rejects(driver.execOutcome('id', log, 255), { code: 'BERTH_E_COMMAND_NOT_FOUND' });
    // The same log beside a command's own status (5, 1, 126): the command ran; its status stands.
    for (const code of [5, 1, 126]) assert.equal(await driver.execOutcome('id', log, code), code);
    assert.equal(await driver.execOutcome('id', join(dir, 'none.json'), 255), 255, 'nothing logged: the command exited 255 itself');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
