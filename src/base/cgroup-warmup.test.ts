import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';

import { ownCgroupProcsFile, warmCgroupMigration } from './cgroup-warmup.js';

const hybridCgroup = '12:pids:/user.slice/u\n11:hugetlb:/\n1:name=systemd:/user.slice/u/s.scope\n0::/user.slice/u/s.scope\n';
const hybridMounts = [
  '30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '31 25 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd',
  '35 25 0:31 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids',
  '36 25 0:32 / /sys/fs/cgroup/hugetlb rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,hugetlb',
  '40 25 8:1 / /data rw,relatime - ext4 /dev/sda1 rw',
].join('\n');

test('ownCgroupProcsFile: the unified hierarchy first, then a v1 one whose mount has its controllers; a mount of part of the tree; none', () => {
  assert.equal(ownCgroupProcsFile(hybridCgroup, hybridMounts), '/sys/fs/cgroup/unified/user.slice/u/s.scope/cgroup.procs');
  // cgroup v1 only: the first hierarchy found mounted
  const v1 = hybridCgroup.split('\n').filter((l) => !l.startsWith('0::')).join('\n');
  assert.equal(ownCgroupProcsFile(v1, hybridMounts), '/sys/fs/cgroup/pids/user.slice/u/cgroup.procs');
  // v2 only, at the root, the mount point with an escaped space
  assert.equal(ownCgroupProcsFile('0::/\n', '29 1 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw'), '/sys/fs/my cgroup/cgroup.procs');
  // a container's view: the mount shows the hierarchy from /docker/abc down
  assert.equal(ownCgroupProcsFile('0::/docker/abc/inner\n', '29 1 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw'), '/sys/fs/cgroup/inner/cgroup.procs');
  assert.equal(ownCgroupProcsFile('0::/elsewhere\n', '29 1 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw'), null);
  assert.equal(ownCgroupProcsFile(hybridCgroup, '40 25 8:1 / /data rw,relatime - ext4 /dev/sda1 rw'), null);
});

test('on this host: this process\'s own cgroup.procs, which lists it; warming leaves it where it was', async () => {
  const file = ownCgroupProcsFile();
  assert.ok(file !== null && existsSync(file), String(file));
  assert.ok(readFileSync(file, 'utf8').split('\n').includes(String(process.pid)));
  const before = readFileSync('/proc/self/cgroup', 'utf8');
  warmCgroupMigration();
  warmCgroupMigration(); // one at a time: the second returns at once
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(readFileSync('/proc/self/cgroup', 'utf8'), before);
});

test('a process moved to another cgroup after a warm-up is written to its new one, not moved back', async (t) => {
  const file = ownCgroupProcsFile();
  if (file === null) return t.skip('no cgroup.procs of its own here');
  const parent = dirname(file);
  // cgroup v2 refuses a process in a cgroup whose children have controllers: the move back could fail.
  if (existsSync(join(parent, 'cgroup.subtree_control')) && readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').trim() !== '') {
    return t.skip('its cgroup delegates controllers: the test would not get back');
  }
  warmCgroupMigration();
  await new Promise((r) => setTimeout(r, 200));
  const child = join(parent, `berth-warmup-test-${process.pid}`);
  mkdirSync(child);
  try {
    writeFileSync(join(child, 'cgroup.procs'), String(process.pid));
    try {
      assert.equal(ownCgroupProcsFile(), join(child, 'cgroup.procs'));
      warmCgroupMigration();
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(ownCgroupProcsFile(), join(child, 'cgroup.procs'), 'the warm-up moved the process back to the cgroup it knew');
    } finally {
      writeFileSync(file, String(process.pid));
    }
  } finally {
    rmdirSync(child);
  }
});
