/**
 * Exact clean-up of containers' networking (issue 11): 50 create/start/rm cycles across two
 * networks leave the host's links, namespaces, firewall rules, leases, port claims and DNS records
 * exactly as before (counted); so do containers whose monitors were SIGKILLed and berth
 * processes SIGKILLed mid-start and mid-rm, once reconciled (a `ps`) and removed; and what a
 * killed process left is reported by `system check` and removed by `system prune`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore, mountsUnder, runStateDir } from './harness.js';

describe('networks: exact clean-up', () => {
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
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

  /** What this store's networking holds on the host, counted and named. */
  function footprint() {
    const nets = (JSON.parse(ok('network', 'inspect', ...ok('network', 'ls', '-q').trim().split('\n'))) as { Name: string; Id: string; IPAM: { Config: { Subnet: string }[] } }[])
      .filter((n) => n.IPAM.Config.length > 0);
    const subnets = nets.map((n) => n.IPAM.Config[0]?.Subnet as string);
    const bridges = nets.map((n) => readJson<{ bridge: string }>(join(store.root, 'networks', `${n.Id}.json`), { bridge: '' }).bridge);
    const links = (JSON.parse(spawnSync('ip', ['-j', 'link']).stdout.toString()) as { ifname: string; master?: string }[])
      .filter((l) => bridges.includes(l.ifname) || bridges.includes(l.master ?? '')).map((l) => l.ifname).sort();
    const mentions = (text: string) => text.split('\n').filter((l) => subnets.some((s) => l.includes(s))).sort();
    const iptables = mentions(spawnSync('iptables-save').stdout?.toString() ?? '');
    const nft = mentions(spawnSync('nft', ['list', 'ruleset']).stdout?.toString() ?? '');
    const leases = nets.flatMap((n) => Object.keys(readJson<Record<string, string>>(join(store.root, 'networks', `${n.Id}.leases.json`), {}))).sort();
    const claims = readJson<{ ports: Record<string, { netns: string }> }>('/run/berth/network-claims/claims.json', { ports: {} });
    const ports = Object.values(claims.ports).filter((c) => c.netns.startsWith(stateDir)).length;
    const dns = list(join(stateDir, 'netavark', 'aardvark-dns')).filter((f) => f !== 'aardvark.pid')
      .flatMap((f) => readFileSync(join(stateDir, 'netavark', 'aardvark-dns', f), 'utf8').split('\n').slice(1).filter(Boolean)).length;
    const states = list(join(store.root, 'containers')).filter((id) => existsSync(join(store.root, 'containers', id, 'network.json'))).length;
    return { links, iptables, nft, namespaces: list(join(stateDir, 'netns')), leases, ports, dns, states, mounts: mountsUnder(store.root).length };
  }
  const networkLines = () => ok('system', 'check').split('\n').filter((l) => /networking of/.test(l));

  test('50 create/start/rm cycles across two networks leave everything as before', () => {
    ok('network', 'create', 'ca');
    ok('network', 'create', 'cb');
    // Warm up: netavark's own chains and aardvark-dns are made once and stay.
    for (const net of ['ca', 'cb']) ok('run', '--rm', '--network', net, '-p', '127.0.0.1::80', busyboxImage, 'true');
    const before = footprint();
    assert.deepEqual([before.namespaces, before.leases, before.ports, before.dns, before.states], [[], [], 0, 0, 0]);
    for (let i = 0; i < 50; i++) {
      const net = i % 2 === 0 ? 'ca' : 'cb';
      ok('create', '--name', `c${i}`, '--network', net, '--network-alias', `alias${i}`, '-p', '127.0.0.1::80', busyboxImage, 'sleep', '30');
      ok('start', `c${i}`);
      if (i % 10 === 0) {
        const during = footprint();
        assert.equal(during.namespaces.length, 1);
        assert.equal(during.leases.length, 1);
        assert.equal(during.dns, 1);
        assert.ok(during.iptables.length > before.iptables.length || during.nft.length > before.nft.length, 'the container has firewall rules while it runs');
      }
      ok('rm', '-f', `c${i}`);
    }
    assert.deepEqual(footprint(), before);
    assert.deepEqual(networkLines(), []);
  });

  test('killed monitors and berth processes killed mid-way leave nothing once reconciled and removed', async () => {
    ok('network', 'create', 'ka');
    ok('network', 'create', 'kb');
    for (const net of ['ka', 'kb']) ok('run', '--rm', '--network', net, '-p', '127.0.0.1::80', busyboxImage, 'true');
    const before = footprint();
    const names: string[] = [];
    for (let i = 0; i < 12; i++) {
      const net = i % 2 === 0 ? 'ka' : 'kb';
      const name = `k${i}`;
      names.push(name);
      if (i % 3 === 0) {
        // The monitor dies: the container goes on without anyone to clean up after it.
        const id = ok('run', '-d', '--name', name, '--network', net, '-p', '127.0.0.1::80', busyboxImage, 'sleep', '300').trim();
        const record = readJson<{ state: { supervisor?: { pid: number } } }>(join(store.root, 'metadata', 'containers', `${id}.json`), { state: {} });
        assert.ok(record.state.supervisor, 'a running container has a monitor');
        process.kill(record.state.supervisor.pid, 'SIGKILL');
      } else {
        // berth dies part-way through a start (or an rm -f of a running container).
        ok('create', '--name', name, '--network', net, '-p', '127.0.0.1::80', busyboxImage, 'sleep', '300');
        if (i % 3 === 2) ok('start', name);
        const child = store.spawnBerth(i % 3 === 2 ? ['rm', '-f', name] : ['start', name]);
        // Listened for at once: a quick command may be over before the kill.
        const closed = new Promise((r) => child.once('close', r));
        await new Promise((r) => setTimeout(r, 40 + ((i * 53) % 250)));
        child.kill('SIGKILL');
        await closed;
      }
    }
    ok('ps', '-a');
    // Reconciled: no container whose monitor is gone keeps its namespace, lease or rules.
    for (const name of names) {
      const r = store.berth(['inspect', '-f', '{{.State.Status}} {{.NetworkSettings.SandboxKey}}', name]);
      if (r.code !== 0) continue; // removed by the rm -f before it was killed
      const [status, sandbox = ''] = r.stdout.trim().split(' ');
      if (status !== 'running') assert.equal(sandbox, '', `${name} is ${status} and still has a namespace`);
    }
    const leftovers = networkLines();
    for (const line of leftovers) assert.match(line, /networking of (stopped container "k\d+"|container [0-9a-f]{12}, which no longer exists)/);
    ok('rm', '-f', ...ok('ps', '-aq').trim().split('\n').filter(Boolean));
    assert.deepEqual(footprint(), before);
    assert.deepEqual(networkLines(), []);
  });

  test('system check reports what a killed process left, and system prune removes it', () => {
    ok('network', 'create', 'pa');
    ok('run', '--rm', '--network', 'pa', busyboxImage, 'true');
    const before = footprint();
    const id = ok('run', '-d', '--name', 'orphan', '--network', 'pa', '-p', '127.0.0.1::80', busyboxImage, 'sleep', '300').trim();
    const record = readJson<{ state: { supervisor?: { pid: number }; runtime?: { pid: number } } }>(join(store.root, 'metadata', 'containers', `${id}.json`), { state: {} });
    // Monitor and container die, and the record goes as an interrupted rm would leave it.
    const [monitor, container] = [record.state.supervisor?.pid ?? 0, record.state.runtime?.pid ?? 0];
    // kill(0) would be this test's own process group (the runner, and CI with it).
    assert.ok(monitor > 1 && container > 1, JSON.stringify(record.state));
    process.kill(monitor, 'SIGKILL');
    process.kill(container, 'SIGKILL');
    spawnSync('sh', ['-c', `umount -l ${join(store.root, 'containers', id, 'rootfs')}; rm -rf ${join(store.root, 'metadata', 'containers', `${id}.json`)} ${join(store.root, 'containers', id)}`]);
    const lines = networkLines();
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] as string, new RegExp(`networking of container ${id.slice(0, 12)}, which no longer exists: network namespace .*, address \\S+ leased on network pa, aardvark-dns record on network pa`));
    assert.notDeepEqual(footprint(), before);
    const pruned = ok('system', 'prune', '-f');
    assert.match(pruned, new RegExp(`networking of container ${id.slice(0, 12)}`));
    assert.deepEqual(networkLines(), []);
    assert.deepEqual(footprint(), before);
  });
});
