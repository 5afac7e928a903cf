/**
 * The default bridge's keeper (services/bridge-keeper.ts): the first container on the default
 * bridge leaves the bridge up, as docker0 stays up, held by an endpoint of berth's own that no
 * command shows; containers still get their own addresses and leave nothing when they go;
 * `network prune` takes the keeper and the bridge down, the next container makes them again; the
 * network is set up before the container's process runs (setup overlaps the runtime's create).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore, runStateDir } from './harness.js';

describe('networks: the default bridge stays up between containers', () => {
  let store: Store;
  let stateDir: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
    stateDir = runStateDir(store.root);
  });
  after(() => store.dispose());
  const ok = (...args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const readJson = <T>(path: string, fallback: T): T => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return fallback;
    }
  };
  const bridgeNetwork = () => (JSON.parse(ok('network', 'inspect', 'bridge')) as { Id: string; IPAM: { Config: { Subnet: string; Gateway: string }[] } }[])[0] as
    { Id: string; IPAM: { Config: { Subnet: string; Gateway: string }[] } };

  /** What the store's default bridge holds on the host: the bridge, the veths on it, namespaces, leases, NAT rules. */
  function footprint() {
    const net = bridgeNetwork();
    const subnet = net.IPAM.Config[0]?.Subnet as string;
    const name = readJson<{ bridge: string }>(join(store.root, 'networks', `${net.Id}.json`), { bridge: '' }).bridge;
    const links = JSON.parse(spawnSync('ip', ['-j', 'link']).stdout.toString()) as { ifname: string; master?: string }[];
    return {
      bridge: links.some((l) => l.ifname === name),
      veths: links.filter((l) => l.master === name).length,
      namespaces: existsSync(join(stateDir, 'netns')) ? readdirSync(join(stateDir, 'netns')).sort() : [],
      leases: readJson<Record<string, string>>(join(store.root, 'networks', `${net.Id}.leases.json`), {}),
      nat: spawnSync('iptables-save', ['-t', 'nat']).stdout.toString().split('\n').filter((l) => l.includes(subnet)).length,
    };
  }
  const kept = (subnet: string) => ({ [subnet.replace(/\.0\/24$/, '.254')]: 'bridge-keeper' });

  test('after a run --rm the bridge stays up with the keeper alone on it; nothing shows it', () => {
    const inspectBefore = ok('network', 'inspect', 'bridge');
    const subnet = bridgeNetwork().IPAM.Config[0]?.Subnet as string;
    assert.match(subnet, /\.0\/24$/);
    assert.equal(footprint().bridge, false, 'a fresh store has no bridge yet');
    ok('run', '--rm', busyboxImage, 'true');
    // The container's veth, namespace and lease are gone by the time run --rm returns.
    const after1 = footprint();
    assert.deepEqual(after1.namespaces, ['bridge-keeper']);
    assert.deepEqual(after1.leases, kept(subnet));
    assert.equal(after1.bridge, true, 'the bridge stays up');
    assert.equal(after1.veths, 1, 'only the keeper\'s veth is on it');
    assert.ok(after1.nat > 0, 'the outbound NAT rules stay');
    assert.equal(ok('network', 'inspect', 'bridge'), inspectBefore, 'network inspect bridge is unchanged');
    assert.equal(ok('ps', '-aq'), '');
    assert.deepEqual(ok('system', 'check').split('\n').filter((l) => /networking of/.test(l)), []);
    // A second run finds it up and leaves the same.
    ok('run', '--rm', busyboxImage, 'true');
    assert.deepEqual(footprint(), after1);
  });

  test('containers get their own addresses from the bottom of the subnet, configured before their process runs', () => {
    const { Subnet: subnet, Gateway: gateway } = bridgeNetwork().IPAM.Config[0] as { Subnet: string; Gateway: string };
    const prefix = subnet.replace(/0\/24$/, '');
    const a = ok('run', '-d', '--name', 'a', busyboxImage, 'sleep', '60').trim();
    try {
      const ipA = ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', a).trim();
      assert.equal(ipA, `${prefix}2`, 'the first container gets the first address, as on docker0');
      // Run right after another: its own address, and its eth0 and default route in place when its
      // process starts (the commands are the processes themselves: no shell's start-up to wait behind).
      for (let i = 0; i < 3; i++) {
        assert.match(ok('run', '--rm', busyboxImage, 'ip', '-4', '-o', 'addr', 'show', 'eth0'), new RegExp(`\\binet ${prefix.replace(/\./g, '\\.')}3/24\\b`));
        assert.match(ok('run', '--rm', busyboxImage, 'ip', 'route'), new RegExp(`^default via ${gateway.replace(/\./g, '\\.')} dev eth0`, 'm'));
      }
      assert.match(ok('run', '--rm', busyboxImage, 'cat', '/etc/hosts'), new RegExp(`^${prefix.replace(/\./g, '\\.')}3\\t`, 'm'));
      assert.equal(ok('inspect', '-f', '{{.NetworkSettings.IPAddress}} {{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Gateway}}', a).trim(), `${prefix}2 24 ${gateway}`);
    } finally {
      ok('rm', '-f', a);
    }
    const left = footprint();
    assert.deepEqual([left.namespaces, left.leases, left.veths], [['bridge-keeper'], kept(subnet), 1]);
  });

  test('a detached container that exits is torn down by its monitor; the keeper stays', async () => {
    const subnet = bridgeNetwork().IPAM.Config[0]?.Subnet as string;
    const id = ok('run', '-d', busyboxImage, 'sh', '-c', 'sleep 0.3').trim();
    for (let i = 0; i < 100 && ok('inspect', '-f', '{{.State.Status}}', id).trim() !== 'exited'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(ok('inspect', '-f', '{{.State.Status}} {{.NetworkSettings.SandboxKey}}', id).trim(), 'exited');
    const left = footprint();
    assert.deepEqual([left.namespaces, left.leases, left.veths, left.bridge], [['bridge-keeper'], kept(subnet), 1, true]);
    ok('rm', id);
  });

  test('network prune takes the keeper and the bridge down; the next container makes them again', () => {
    const subnet = bridgeNetwork().IPAM.Config[0]?.Subnet as string;
    ok('run', '--rm', busyboxImage, 'true');
    assert.equal(footprint().veths, 1);
    assert.equal(ok('network', 'prune', '-f'), '', 'no network is listed as removed');
    assert.deepEqual(footprint(), { bridge: false, veths: 0, namespaces: [], leases: {}, nat: 0 });
    assert.equal(existsSync(join(store.root, 'bridge-keeper')), false);
    ok('run', '--rm', busyboxImage, 'true');
    const again = footprint();
    assert.deepEqual([again.bridge, again.veths, again.namespaces, again.leases], [true, 1, ['bridge-keeper'], kept(subnet)]);
  });

  test('a keeper whose namespace went (as after a reboot) is made again by the next container', () => {
    const subnet = bridgeNetwork().IPAM.Config[0]?.Subnet as string;
    ok('run', '--rm', busyboxImage, 'true');
    // A reboot takes namespaces, veths and bridges; here the keeper's namespace is unmounted.
    const ns = join(stateDir, 'netns', 'bridge-keeper');
    assert.equal(spawnSync('umount', [ns]).status, 0);
    assert.equal(footprint().veths, 0, 'its veth went with its namespace');
    ok('run', '--rm', busyboxImage, 'true');
    const again = footprint();
    assert.deepEqual([again.bridge, again.veths, again.namespaces, again.leases], [true, 1, ['bridge-keeper'], kept(subnet)]);
  });
});
