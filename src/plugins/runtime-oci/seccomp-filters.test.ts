import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type { Spec } from '../../oci/index.js';
import { createSeccompFilters, SECCOMP_BPF_ANNOTATION } from './seccomp-filters.js';

function setup(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-seccomp-filters-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const binary = join(dir, 'crun');
  writeFileSync(binary, 'a runtime');
  const stateDir = join(dir, 'state');
  const cacheDir = join(dir, 'cache');
  const filters = () => createSeccompFilters({ binary, stateDir, cacheDir });
  /** What crun leaves in its state: the filter it compiled and loaded for container `id`. */
  const compiled = (id: string, bytes: Buffer) => {
    mkdirSync(join(stateDir, id), { recursive: true });
    writeFileSync(join(stateDir, id, 'seccomp.bpf'), bytes);
  };
  return { dir, binary, cacheDir, filters, compiled };
}

const spec = (seccomp: Record<string, unknown> | undefined, annotations: Record<string, string> = {}): Spec =>
  ({ ociVersion: '1.0.2', root: { path: 'rootfs' }, annotations, linux: seccomp ? { seccomp } : {} }) as unknown as Spec;
const profile = (errnoRet = 1) => ({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: errnoRet, architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] });
const bpf = Buffer.from([0x20, 0, 0, 0, 4, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0xff, 0x7f]);

test('a profile\'s filter is kept once crun compiled it, and handed to crun for the next container', (t) => {
  const { filters, compiled, cacheDir } = setup(t);
  const first = filters();
  const s1 = spec(profile());
  assert.equal(first.annotate('c1', s1, { learn: true }), false);
  assert.deepEqual(s1.annotations, {}, 'nothing to hand over yet');
  assert.equal(first.wantsFilter('c1'), true);
  compiled('c1', bpf);
  first.learn('c1');
  assert.equal(first.wantsFilter('c1'), false);
  assert.equal(readdirSync(cacheDir).length, 1);
  // Another berth process, the same profile: crun gets its own bytes back.
  const s2 = spec(profile());
  assert.equal(filters().annotate('c2', s2, { learn: true }), true);
  assert.equal(s2.annotations?.[SECCOMP_BPF_ANNOTATION], bpf.toString('base64'));
  assert.deepEqual(s2.linux?.seccomp, profile(), 'the profile stays in the spec');
});

test('another profile, another runtime binary or a filter that is no BPF program are not handed over', (t) => {
  const { filters, compiled, binary } = setup(t);
  const f = filters();
  f.annotate('c1', spec(profile()), { learn: true });
  compiled('c1', bpf);
  f.learn('c1');
  const other = spec(profile(38));
  assert.equal(filters().annotate('c2', other), false);
  assert.equal(other.annotations?.[SECCOMP_BPF_ANNOTATION], undefined);
  // Not asked to learn: nothing remembered.
  assert.equal(filters().wantsFilter('c2'), false);
  // An upgraded runtime (another file) compiles for itself.
  utimesSync(binary, new Date(), new Date(Date.now() + 10_000));
  const upgraded = spec(profile());
  assert.equal(filters().annotate('c3', upgraded), false);
  // What crun left is not a whole number of instructions: not kept.
  const g = filters();
  g.annotate('c4', spec(profile()), { learn: true });
  compiled('c4', bpf.subarray(0, 12));
  g.learn('c4');
  assert.equal(filters().annotate('c5', spec(profile())), false);
  // A container crun already deleted (its state is gone): nothing kept, no error.
  const h = filters();
  h.annotate('gone', spec(profile()), { learn: true });
  h.learn('gone');
  assert.equal(filters().annotate('c6', spec(profile())), false);
});

test('no profile, a notify listener or the user\'s own run.oci.seccomp annotations: left to crun', (t) => {
  const { filters, compiled } = setup(t);
  const f = filters();
  assert.equal(f.annotate('u', spec(undefined), { learn: true }), true, 'unconfined: nothing to compile');
  assert.equal(f.wantsFilter('u'), false);
  const own = spec(profile(), { 'run.oci.seccomp_fail_unknown_syscall': '1' });
  assert.equal(f.annotate('o', own, { learn: true }), true);
  assert.equal(f.wantsFilter('o'), false);
  assert.deepEqual(own.annotations, { 'run.oci.seccomp_fail_unknown_syscall': '1' });
  const listener = spec({ ...profile(), listenerPath: '/run/agent.sock' });
  assert.equal(f.annotate('l', listener, { learn: true }), true);
  assert.equal(f.wantsFilter('l'), false);
  // The same profile as a learned one still gets nothing when the user set their own.
  f.annotate('c1', spec(profile()), { learn: true });
  compiled('c1', bpf);
  f.learn('c1');
  const mine = spec(profile(), { [SECCOMP_BPF_ANNOTATION]: 'AAAA' });
  f.annotate('c2', mine);
  assert.equal(mine.annotations?.[SECCOMP_BPF_ANNOTATION], 'AAAA');
});
