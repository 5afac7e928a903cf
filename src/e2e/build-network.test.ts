/**
 * Build RUN steps on berth's default bridge (issue 11): by default a step has a network namespace
 * of its own (only lo and eth0, an address in the `bridge` network's subnet) that reaches the host
 * through the bridge's gateway; `--network none` has only lo, `--network host` the host's
 * interfaces. Each step's veth, namespace, firewall rules and lease are gone after it, whether it
 * succeeded or failed, and after a build SIGKILLed mid-step once the next build has run (`system
 * check` reports the dead step meanwhile). Only the host's address on berth's bridge is contacted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Result, Store } from './harness.js';
import { busyboxImage, createStore, runStateDir } from './harness.js';

describe('build RUN steps on the default bridge', () => {
  let store: Store;
  let context: string;
  let stateDir: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
    context = mkdtempSync(join(tmpdir(), 'berth-build-net-'));
    stateDir = runStateDir(store.root);
  });
  after(() => {
    store.dispose();
    rmSync(context, { recursive: true, force: true });
  });
  const ok = (...args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** berth without blocking this process (a server in it must answer meanwhile). */
  const berthAsync = (...args: string[]) => new Promise<Result>((resolve) => {
    const child = store.spawnBerth(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => void (stderr += d.toString()));
    child.stdin?.end();
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
  const dockerfile = (...lines: string[]) => writeFileSync(join(context, 'Dockerfile'), [`FROM ${busyboxImage}`, ...lines, ''].join('\n'));
  /** The lines a plain-progress build's RUN steps printed with `=> ` (`#2 0.123 => text`, or without the time). */
  const runOutput = (stderr: string) => stderr.split('\n').map((l) => /^#\d+ (?:\d+\.\d+ )?=> (.*)$/.exec(l)?.[1]).filter((l): l is string => l !== undefined);
  const bridge = () => (JSON.parse(ok('network', 'inspect', 'bridge')) as { Id: string; IPAM: { Config: { Subnet: string; Gateway: string }[] } }[])[0] as { Id: string; IPAM: { Config: { Subnet: string; Gateway: string }[] } };
  const readJson = <T>(path: string, fallback: T): T => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return fallback;
    }
  };

  /** What the store's bridge network holds on the host: veths, namespaces, firewall rules, leases. */
  function footprint() {
    const net = bridge();
    const subnet = net.IPAM.Config[0]?.Subnet as string;
    const name = readJson<{ bridge: string }>(join(store.root, 'networks', `${net.Id}.json`), { bridge: '' }).bridge;
    const links = (JSON.parse(spawnSync('ip', ['-j', 'link']).stdout.toString()) as { ifname: string; master?: string }[])
      .filter((l) => l.master === name).map((l) => l.ifname).sort();
    const mentions = (text: string) => text.split('\n').filter((l) => l.includes(subnet)).sort();
    return {
      links,
      iptables: mentions(spawnSync('iptables-save').stdout?.toString() ?? ''),
      nft: mentions(spawnSync('nft', ['list', 'ruleset']).stdout?.toString() ?? ''),
      namespaces: existsSync(join(stateDir, 'netns')) ? readdirSync(join(stateDir, 'netns')) : [],
      leases: Object.values(readJson<Record<string, string>>(join(store.root, 'networks', `${net.Id}.leases.json`), {})),
      steps: existsSync(join(store.root, 'build-tmp')) ? readdirSync(join(store.root, 'build-tmp')).filter((n) => n.startsWith('build-')) : [],
    };
  }
  const empty = { links: [], iptables: [], nft: [], namespaces: [], leases: [], steps: [] };

  test('a RUN step has lo and eth0 on the bridge, reaches the host through the gateway, and leaves nothing', async () => {
    const { Subnet: subnet, Gateway: gateway } = bridge().IPAM.Config[0] as { Subnet: string; Gateway: string };
    assert.deepEqual(footprint(), empty);
    const server: Server = await new Promise((resolve) => {
      const s = createServer((_req, res) => res.end('from the host\n')).listen(0, '0.0.0.0', () => resolve(s));
    });
    try {
      const port = (server.address() as { port: number }).port;
      dockerfile(
        'ARG GW PORT',
        'RUN echo "=>" $(ls /sys/class/net); ip -o -4 addr show eth0 | awk \'{print "=> addr " $4}\'; echo "=> $(wget -qO- http://$GW:$PORT/)"; echo "=> $(hostname)"; sed "s/^/=> /" /etc/hosts',
      );
      const r = await berthAsync('build', '--progress', 'plain', '--no-cache', '--build-arg', `GW=${gateway}`, '--build-arg', `PORT=${port}`, context);
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      const out = runOutput(r.stderr);
      assert.equal(out[0]?.trim(), 'eth0 lo', 'only loopback and the step\'s own eth0, none of the host\'s interfaces');
      const addr = /^addr (\d+\.\d+\.\d+)\.\d+\/(\d+)$/.exec(out[1] ?? '');
      assert.ok(addr, out.join('\n'));
      assert.equal(`${addr[1]}.0/${addr[2]}`, subnet, 'the address is in the bridge network\'s subnet');
      assert.equal(out[2], 'from the host');
      assert.equal(out[3], 'buildkitsandbox');
      assert.ok(out.slice(4).some((l) => /^127\.0\.1\.1\s+buildkitsandbox$/.test(l)), out.join('\n'));
    } finally {
      server.close();
    }
    assert.deepEqual(footprint(), empty, 'no veth, namespace, firewall rule, lease or bundle is left');
  });

  test('resolv.conf is the host\'s without loopback resolvers', () => {
    dockerfile('RUN sed "s/^/=> /" /etc/resolv.conf');
    const r = store.berth(['build', '--progress', 'plain', '--no-cache', context]);
    assert.equal(r.code, 0, r.stderr);
    const servers = runOutput(r.stderr).filter((l) => /^nameserver\s/.test(l));
    assert.ok(servers.length > 0, r.stderr);
    for (const s of servers) assert.doesNotMatch(s, /^nameserver\s+(127\.|::1)/);
  });

  test('--network none has only lo; --network host the host\'s interfaces; RUN --network=none too', () => {
    dockerfile('RUN echo "=>" $(ls /sys/class/net)');
    const nets = (...flags: string[]) => {
      const r = store.berth(['build', '--progress', 'plain', '--no-cache', ...flags, context]);
      assert.equal(r.code, 0, r.stderr);
      return (runOutput(r.stderr)[0] ?? '').trim().split(/\s+/).sort();
    };
    assert.deepEqual(nets('--network', 'none'), ['lo']);
    // `bridge` is the default's other name (Docker's classic builder takes both).
    assert.deepEqual(nets('--network', 'bridge'), ['eth0', 'lo']);
    // Containers of tests running alongside come and go with their veth links and bridges.
    const lasting = (names: readonly string[]) => names.filter((n) => !/^(veth|berth)\d+$/.test(n)).sort();
    assert.deepEqual(lasting(nets('--network', 'host')), lasting(readdirSync('/sys/class/net')));
    dockerfile('RUN --network=none echo "=>" $(ls /sys/class/net)');
    assert.deepEqual(nets(), ['lo']);
    assert.deepEqual(footprint(), empty);
  });

  test('--add-host puts its lines at the end of every RUN step\'s /etc/hosts, on any network, and is in the steps\' cache keys', () => {
    dockerfile('RUN sed "s/^/=> /" /etc/hosts');
    const gateway = bridge().IPAM.Config[0]?.Gateway as string;
    const hosts = (...flags: string[]) => {
      const r = store.berth(['build', '--progress', 'plain', ...flags, context]);
      assert.equal(r.code, 0, r.stderr);
      return { lines: runOutput(r.stderr), cached: /^#\d+ CACHED$/m.test(r.stderr) };
    };
    const added = ['--add-host', 'mirror.internal:10.1.2.3', '--add-host', 'host.docker.internal:host-gateway'];
    for (const network of ['default', 'none', 'host']) {
      const { lines } = hosts('--no-cache', '--network', network, ...added);
      assert.deepEqual(lines.slice(-2), ['10.1.2.3\tmirror.internal', `${gateway}\thost.docker.internal`], `--network ${network}: ${lines.join('\n')}`);
    }
    // The same flags take the cache; other hosts, or none, do not (BuildKit keys them too).
    assert.equal(hosts(...added).cached, true);
    assert.equal(hosts('--add-host', 'mirror.internal:10.1.2.4').cached, false);
    const plain = hosts();
    assert.ok(!plain.lines.some((l) => l.includes('mirror.internal')), plain.lines.join('\n'));
    const bad = store.berth(['build', '--add-host', 'mirror.internal:nowhere', context]);
    assert.equal(bad.code, 125);
    // The docker CLI's usage error (docker 20.10: the message, then its usage hint; 125).
    assert.match(bad.stderr, /^invalid argument "mirror.internal:nowhere" for "--add-host" flag: invalid IP address in add-host: "nowhere"\n/);
  });

  test('a failed step leaves nothing either', () => {
    dockerfile('RUN ip link show eth0 && exit 3');
    const r = store.berth(['build', '--progress', 'plain', '--no-cache', context]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /exit code: 3/);
    assert.match(r.stderr, /eth0/);
    assert.deepEqual(footprint(), empty);
  });

  test('a build SIGKILLed mid-step: system check reports the step; the next build removes its network', async () => {
    dockerfile('RUN echo "running $((40 + 2))" && sleep 300'); // the marker is not in the step's title
    const child = store.spawnBerth(['build', '--progress', 'plain', '--no-cache', context]);
    child.stdin?.end();
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('running 42')) resolve();
      });
      child.on('close', () => reject(new Error('the build ended before its step started')));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const during = footprint();
    // The killed step's namespace and lease are left, and those of the endpoint that kept the bridge up for the build.
    assert.equal(during.namespaces.length, 2, 'the killed step\'s namespace and the build\'s bridge keeper are left');
    assert.equal(during.namespaces.filter((n) => n.endsWith('-bridge')).length, 1);
    assert.equal(during.leases.length, 2, 'and their leases');
    assert.ok(during.iptables.length + during.nft.length > 0, 'and the firewall rules');
    const check = store.berth(['system', 'check']);
    for (const name of during.namespaces) {
      assert.match(check.stdout, new RegExp(`reclaimable: step network "${name}" \\(its process \\d+ is gone\\)`), check.stdout);
    }
    dockerfile('RUN true');
    ok('build', '-q', '--network', 'none', context);
    assert.deepEqual(footprint(), empty);
    assert.doesNotMatch(ok('system', 'check'), /step (container|network)/);
  });
});
