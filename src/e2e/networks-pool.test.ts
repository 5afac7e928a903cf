/**
 * The default bridge's pool of ready endpoints (services/netns-pool.ts): a run on the default
 * bridge takes a namespace set up ahead of time, with working networking; each entry is used once;
 * a background refiller keeps the pool full and tears spent entries down; `network prune` removes
 * the pool; a refiller SIGKILLed mid-refill leaves nothing the next refill does not recover.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('networks: a pool of ready endpoints on the default bridge', () => {
  let store: Store;
  let netnsDir: string;
  let poolDir: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
    netnsDir = join('/run/berth', createHash('sha256').update(realpathSync(store.root)).digest('hex').slice(0, 12), 'netns');
    poolDir = join(store.root, 'netns-pool');
  });
  after(() => store.dispose());
  const ok = (...args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
  const readJson = <T>(path: string): T | undefined => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return undefined;
    }
  };
  const bridge = () => (JSON.parse(ok('network', 'inspect', 'bridge')) as { Id: string; IPAM: { Config: { Subnet: string; Gateway: string }[] } }[])[0] as
    { Id: string; IPAM: { Config: { Subnet: string; Gateway: string }[] } };
  const leases = () => readJson<Record<string, string>>(join(store.root, 'networks', `${bridge().Id}.leases.json`)) ?? {};
  const isPool = (id: string) => id.startsWith('pool-');
  /** The pool's entries and what of the pool's is on the host. */
  function pool() {
    const files = list(poolDir);
    const entries = files.filter((f) => /^pool-.*\.json$/.test(f)).map((f) => f.slice(0, -5));
    return {
      ready: entries.filter((e) => readJson<{ ready?: boolean }>(join(poolDir, `${e}.json`))?.ready === true),
      entries,
      spent: files.filter((f) => f.endsWith('.spent')),
      namespaces: list(netnsDir).filter(isPool),
      leased: Object.values(leases()).filter(isPool).sort(),
    };
  }
  /** Waits until the pool is full and nothing spent or half-made is left. */
  async function settled() {
    for (let i = 0; i < 400; i++) {
      const p = pool();
      if (p.ready.length === 2 && p.entries.length === 2 && p.spent.length === 0 && p.namespaces.length === 2 && p.leased.length === 2) return p;
      await sleep(50);
    }
    assert.fail(`the pool did not settle: ${JSON.stringify(pool())}`);
  }
  const sandbox = (id: string) => ok('inspect', '--format', '{{.NetworkSettings.SandboxKey}} {{.NetworkSettings.IPAddress}}', id).trim().split(' ') as [string, string];

  test('a run takes a ready entry: its address, route, hosts and connectivity work', async () => {
    ok('run', '--rm', busyboxImage, 'true'); // the first one fills the pool
    const before1 = await settled();
    const { Gateway: gateway } = bridge().IPAM.Config[0] as { Gateway: string };
    const id = ok('run', '-d', busyboxImage, 'sleep', '60').trim();
    const [key, ip] = sandbox(id);
    const entry = key.split('/').pop() as string;
    assert.ok(before1.ready.includes(entry), `the container runs in a pool entry's namespace (${key})`);
    assert.equal(leases()[ip], entry, 'its address is the entry\'s lease');
    const out = ok('exec', id, 'sh', '-c', `ip -4 addr show eth0; ip route; cat /etc/hosts; ping -c1 -W3 ${gateway} >/dev/null && echo PING-OK`);
    assert.match(out, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`));
    assert.match(out, new RegExp(`default via ${gateway.replace(/\./g, '\\.')} dev eth0`));
    assert.match(out, new RegExp(`${ip.replace(/\./g, '\\.')}\\s+${id.slice(0, 12)}`));
    assert.match(out, /PING-OK/);
    // The host's own address, through the bridge: outbound routing works.
    const hostIp = /src (\S+)/.exec(spawnSync('ip', ['-4', 'route', 'get', '1.1.1.1']).stdout.toString())?.[1];
    if (hostIp !== undefined) assert.match(ok('exec', id, 'sh', '-c', `ping -c1 -W3 ${hostIp} >/dev/null && echo HOST-OK`), /HOST-OK/);
    assert.deepEqual(Object.keys(JSON.parse(ok('network', 'inspect', 'bridge', '--format', '{{json .Containers}}')) as object), [id], 'network inspect lists the container alone');
    ok('rm', '-f', id);
    const afterRm = await settled();
    assert.ok(!afterRm.namespaces.includes(entry) && !afterRm.leased.includes(entry), 'the spent entry is torn down');
    assert.deepEqual(ok('system', 'check').split('\n').filter((l) => /networking of/.test(l)), []);
  });

  test('two quick runs get different addresses and entries; an entry is never used twice', async () => {
    await settled();
    const used = new Set<string>();
    const ips = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const a = ok('run', '-d', busyboxImage, 'sleep', '60').trim();
      const b = ok('run', '-d', busyboxImage, 'sleep', '60').trim();
      const [keyA, ipA] = sandbox(a);
      const [keyB, ipB] = sandbox(b);
      assert.notEqual(ipA, ipB);
      assert.notEqual(keyA, keyB);
      for (const key of [keyA, keyB]) {
        const entry = key.split('/').pop() as string;
        if (isPool(entry)) {
          assert.ok(!used.has(entry), `entry ${entry} used twice`);
          used.add(entry);
        }
      }
      ips.add(ipA).add(ipB);
      ok('rm', '-f', a, b);
      await settled();
    }
    assert.ok(used.size >= 3, `runs took pool entries (${[...used].join(', ')})`);
    const p = pool();
    for (const e of used) assert.ok(!p.entries.includes(e) && !p.namespaces.includes(e), `used entry ${e} is gone from the pool`);
  });

  test('a refiller SIGKILLed mid-refill leaves system check clean, and the next run recovers the pool', async () => {
    await settled();
    ok('run', '--rm', busyboxImage, 'true'); // takes one: the refiller makes a new entry
    // Catch it making an entry (written before its namespace and setup), else kill it wherever it is.
    let killed = false;
    for (const until = Date.now() + 10_000; Date.now() < until && !killed;) {
      const making = list(poolDir).filter((f) => /^pool-.*\.json$/.test(f)).some((f) => readJson<{ ready?: boolean }>(join(poolDir, f))?.ready !== true);
      const pid = Number(readJson<number>(join(poolDir, 'filling')) ?? 0);
      if (making && pid > 0) {
        process.kill(pid, 'SIGKILL');
        killed = true;
      }
    }
    const pid = Number(readJson<number>(join(poolDir, 'filling')) ?? 0);
    if (!killed && pid > 0) process.kill(pid, 'SIGKILL');
    await sleep(200);
    assert.deepEqual(ok('system', 'check').split('\n').filter((l) => /networking of/.test(l)), []);
    ok('run', '--rm', busyboxImage, 'true');
    const p = await settled();
    assert.deepEqual(p.namespaces, p.entries, 'no namespace but the entries\'');
    assert.deepEqual([...p.leased].sort(), [...p.entries].sort(), 'no lease but the entries\'');
    assert.match(ok('system', 'check'), /consistent/);
  });

  test('network prune removes the pool and stops the refiller', async () => {
    await settled();
    const pid = Number(readJson<number>(join(poolDir, 'filling')) ?? 0);
    ok('network', 'prune', '-f');
    const p = pool();
    assert.deepEqual({ entries: p.entries, namespaces: p.namespaces, leased: p.leased, spent: p.spent }, { entries: [], namespaces: [], leased: [], spent: [] });
    // Gone, or a zombie where PID 1 does not reap.
    if (pid > 0) assert.ok(!existsSync(`/proc/${pid}`) || / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), 'the refiller is stopped');
    await sleep(300);
    assert.deepEqual(pool().entries, [], 'nothing refills it');
    // The next run on the bridge works without the pool and fills it again.
    ok('run', '--rm', busyboxImage, 'true');
    await settled();
  });
});
