/**
 * Issue 7's hostile-input findings, end to end through bin/berth: flags Node itself must never
 * parse, name collisions, capabilities the host lacks, security options, loose input checks and a
 * closed output pipe. Each test failed on the code before its fix (see the comments).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore } from './harness.js';

describe('hostile input', () => {
  let store: Store;
  let dir: string;
  before(() => {
    store = createStore({ withBusybox: true });
    dir = mkdtempSync(join(tmpdir(), 'berth-hostile-'));
  });
  after(() => {
    store.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--env-file never reaches Node: its NODE_OPTIONS cannot run code inside berth', () => {
    // Before: Node 20 read `--env-file FILE` from berth's argv and applied its NODE_OPTIONS, so
    // x.js ran inside berth, as root; with --env-file /nonexistent Node exited 9 before berth ran.
    const marker = join(dir, 'ran-inside-berth');
    writeFileSync(join(dir, 'x.js'), `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')\n`);
    writeFileSync(join(dir, 'app.env'), `# settings\nNODE_OPTIONS=--require ${join(dir, 'x.js')}\nGREETING=hello world\n`);
    for (const flag of [['--env-file', join(dir, 'app.env')], [`--env-file=${join(dir, 'app.env')}`]]) {
      const r = store.berth(['run', '--rm', ...flag, busyboxImage, 'sh', '-c', 'echo "$GREETING|$NODE_OPTIONS"']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `hello world|--require ${join(dir, 'x.js')}\n`, 'the container gets the variables');
      assert.equal(existsSync(marker), false, 'x.js did not run inside berth');
    }
    // Node 20.20 also scans for --env-file-if-exists; nor may a container's own arguments reach it.
    const echoed = store.berth(['run', '--rm', busyboxImage, 'echo', '--env-file-if-exists', join(dir, 'app.env'), '--env-file', join(dir, 'app.env')]);
    assert.equal(echoed.code, 0, echoed.stderr);
    assert.equal(echoed.stdout, `--env-file-if-exists ${join(dir, 'app.env')} --env-file ${join(dir, 'app.env')}\n`);
    assert.equal(existsSync(marker), false, 'x.js did not run inside berth');
    const missing = store.berth(['run', '--rm', '--env-file', '/nonexistent', busyboxImage, 'true']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /^berth: Cannot read env file "\/nonexistent"/);
  });

  test('concurrent unnamed runs never collide on a name', async () => {
    // Before: 288 names and no retry: 20 concurrent `run --rm` failed about 1 in 20 with a Conflict.
    const runs = Array.from({ length: 16 }, () => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(berthBin, ['run', '--rm', busyboxImage, 'true'], { env: { ...process.env, BERTH_ROOT: store.root }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    }));
    for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
  });

  test('--privileged gets the host bounding set; a --cap-add the host lacks is refused', () => {
    // Before: --privileged asked for every capability Linux knows and crun failed "capset:
    // Operation not permitted" on this host, whose bounding set lacks CAP_SYS_RESOURCE.
    const bounding = /^CapBnd:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    const r = store.berth(['run', '--rm', '--privileged', busyboxImage, 'grep', 'CapBnd', '/proc/self/status']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `CapBnd:\t${bounding}\n`);
    const hasSysResource = (BigInt(`0x${bounding}`) >> 24n) & 1n;
    const add = store.berth(['run', '--rm', '--cap-add', 'SYS_RESOURCE', busyboxImage, 'true']);
    if (hasSysResource) assert.equal(add.code, 0, add.stderr);
    else {
      assert.equal(add.code, 125);
      assert.match(add.stderr, /CAP_SYS_RESOURCE/);
    }
  });

  test('--security-opt seccomp=PROFILE.json applies a Docker profile; broken or unknown options are refused', () => {
    const profile = join(dir, 'no-mkdir.json');
    writeFileSync(profile, JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] }],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, comment: 'EPERM' }],
    }, null, 2));
    const r = store.berth(['run', '--name', 'nomkdir', '--security-opt', `seccomp=${profile}`, busyboxImage, 'sh', '-c', 'grep Seccomp: /proc/self/status; mkdir /made; echo "mkdir: $?"; touch /file && echo touched']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Seccomp:\t2\n/);
    assert.match(r.stdout, /mkdir: 1\ntouched\n$/);
    assert.match(r.stderr, /Operation not permitted/);
    const inspected = JSON.parse(store.berth(['inspect', 'nomkdir']).stdout) as { HostConfig: { SecurityOpt: string[] } }[];
    assert.match(inspected[0]?.HostConfig.SecurityOpt[0] ?? '', /^seccomp=\{"defaultAction":"SCMP_ACT_ALLOW"/, 'the profile is kept with the container, as Docker does');
    // Before: each of these ran (with the default profile, or the option ignored) and exited 0.
    writeFileSync(join(dir, 'broken.json'), '{"defaultAction": ');
    for (const opt of ['seccomp=/nonexistent', `seccomp=${join(dir, 'broken.json')}`, 'bogus=1', 'apparmor=docker-default', 'label=level:s0', 'no-new-privileges=maybe']) {
      const refused = store.berth(['run', '--rm', '--security-opt', opt, busyboxImage, 'true']);
      assert.equal(refused.code, 125, `${opt}: ${refused.stderr}`);
      assert.match(refused.stderr, /^berth: /, opt);
    }
    const nnp = store.berth(['run', '--rm', '--security-opt', 'no-new-privileges:true', busyboxImage, 'grep', 'NoNewPrivs', '/proc/self/status']);
    assert.equal(nnp.stdout, 'NoNewPrivs:\t1\n', nnp.stderr);
    const unconfined = store.berth(['run', '--rm', '--security-opt', 'seccomp=unconfined', busyboxImage, 'grep', 'Seccomp:', '/proc/self/status']);
    assert.equal(unconfined.stdout, 'Seccomp:\t0\n', unconfined.stderr);
  });

  test('loose input is refused: --cpus beyond the host, -e =value, --runtime by path', () => {
    // Before: each was accepted; --runtime /path ran that program as root in the runtime's place.
    const cpus = store.berth(['run', '--rm', '--cpus', '1000', busyboxImage, 'true']);
    assert.equal(cpus.code, 125);
    assert.match(cpus.stderr, /Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available/);
    assert.equal(store.berth(['run', '--rm', '-e', '=value', busyboxImage, 'true']).code, 125);
    const marker = join(dir, 'fake-runtime-ran');
    const fake = join(dir, 'fake-runtime');
    writeFileSync(fake, `#!/bin/sh\ntouch ${marker}\nexit 0\n`);
    chmodSync(fake, 0o755);
    for (const runtime of [fake, '/bin/sh']) {
      const r = store.berth(['run', '--rm', '--runtime', runtime, busyboxImage, 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, /runtime name/);
    }
    assert.equal(existsSync(marker), false, 'the program named by --runtime never ran');
    writeFileSync(join(dir, 'Dockerfile.runtime'), `FROM ${busyboxImage}\nRUN true\n`);
    const b = store.berth(['build', '--runtime', fake, '-f', join(dir, 'Dockerfile.runtime'), dir]);
    assert.notEqual(b.code, 0);
    assert.equal(existsSync(marker), false);
  });

  test('an invalid reference says "invalid reference format" wherever a reference is taken', () => {
    // Before: run, rmi and inspect said "Unable to find image" / "No such object".
    for (const ref of ['UPPER:Case', 'a@sha256:bad', 'a:1:2', 'reg_x.io/app']) {
      for (const args of [['run', '--rm', ref, 'true'], ['rmi', ref], ['inspect', '--type', 'image', ref], ['import', '-', ref]]) {
        const r = store.berth(args, { input: 'x' });
        assert.notEqual(r.code, 0, args.join(' '));
        assert.match(r.stderr, /invalid reference format/i, `${args.join(' ')}: ${r.stderr}`);
      }
    }
    writeFileSync(join(dir, 'Dockerfile.ref'), `FROM ${busyboxImage}\n`);
    const b = store.berth(['build', '-t', 'UPPER:Case', '-f', join(dir, 'Dockerfile.ref'), dir]);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /invalid reference format/i);
    const empty = store.berth(['run', '--rm', '', 'true']);
    assert.equal(empty.code, 125);
    assert.match(empty.stderr, /invalid reference format/i);
  });

  test('import --change refuses a config no container could run with', () => {
    // Before: both produced images. (A relative WORKDIR is now resolved against the config's, as
    // Docker and a Dockerfile do — import.test.ts — instead of being stored relative.)
    for (const change of ['EXPOSE abc', 'EXPOSE 70000', 'ENV', 'ENV =x']) {
      const r = store.berth(['import', '-c', change, '-', 'bad:1'], { input: 'not read' });
      assert.notEqual(r.code, 0, change);
      assert.match(r.stderr, /^Error response from daemon: Invalid (image config|--change)/, `${change}: ${r.stderr}`);
    }
    assert.match(store.berth(['import', '-c', 'ENV', '-', 'bad:1']).stderr, /ENV requires at least one argument/);
    assert.equal(store.berth(['inspect', '--type', 'image', 'bad:1']).code, 1, 'no image was made');
  });

  test('every command exits quietly when its reader goes away (EPIPE)', () => {
    // Before: Node's unhandled 'error' event printed a stack trace ("write EPIPE").
    for (const command of ['system check', '--help', `inspect ${busyboxImage}`, 'images']) {
      const sh = spawnShell(`(sleep 0.3; BERTH_ROOT=${store.root} ${berthBin} ${command}; echo "rc=$?" >&2) | true`);
      assert.equal(sh.stderr, 'rc=141\n', command);
    }
  });
});

function spawnShell(script: string): { stderr: string } {
  return { stderr: spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 60_000 }).stderr };
}
