/**
 * Networks end to end, part two (issue 11): `network connect`/`disconnect` on running and stopped
 * containers, a repeated `--network`, and what the flags put into a container's hosts files:
 * `--add-host` (with `host-gateway`, reaching a server on the host), `--dns`, `--dns-search`,
 * `--dns-option`, `--domainname`, `--link`. Only loopback, the host's address on a berth bridge
 * and the test's own namespaces are ever contacted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Result, Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

describe('networks: connect, disconnect and the hosts-file flags', () => {
  let store: Store;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
  });
  after(() => store.dispose());
  const berth = (...args: string[]) => store.berth(args);
  const ok = (...args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const refuse = (code: number, pattern: RegExp, ...args: string[]) => {
    const r = berth(...args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
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
  // Sorted: netavark sets a container's networks up in no particular order.
  const interfaces = (name: string) => ok('exec', name, 'ip', '-o', '-4', 'addr').split('\n').map((l) => /^\d+: (eth\d+)\s+inet (\S+)\//.exec(l)).filter((m) => m !== null).map((m) => `${m[1]} ${m[2]}`).sort();
  /** Addresses leased on a network (its lease file). */
  const leases = (network: string) => {
    const id = ok('network', 'inspect', '-f', '{{.Id}}', network).trim();
    try {
      return Object.keys(JSON.parse(readFileSync(join(store.root, 'networks', `${id}.leases.json`), 'utf8')) as Record<string, string>).length;
    } catch {
      return 0;
    }
  };

  test('network connect and disconnect a running container: the network comes and goes in its namespace', () => {
    ok('network', 'create', 'one');
    ok('network', 'create', 'two');
    ok('run', '-d', '--name', 'hub', '--network', 'one', busyboxImage, 'sleep', '300');
    try {
      assert.deepEqual(interfaces('hub').map((l) => l.split(' ')[0]), ['eth0']);
      ok('network', 'connect', '--alias', 'spoke', 'two', 'hub');
      const after = interfaces('hub');
      assert.deepEqual(after.map((l) => l.split(' ')[0]), ['eth0', 'eth1']);
      const onTwo = (JSON.parse(ok('inspect', 'hub')) as [{ NetworkSettings: { Networks: Record<string, { IPAddress: string; Aliases: string[] }> } }])[0].NetworkSettings.Networks['two'];
      assert.ok(onTwo, 'inspect shows the connected network');
      assert.equal(after[1], `eth1 ${onTwo.IPAddress}`);
      assert.ok(onTwo.Aliases.includes('spoke'));
      assert.equal(leases('two'), 1);
      // Reached by name and alias from the network it joined.
      for (const name of ['hub', 'spoke']) ok('run', '--rm', '--network', 'two', busyboxImage, 'ping', '-c', '1', '-W', '2', name);
      refuse(1, /endpoint with name hub already exists in network two/, 'network', 'connect', 'two', 'hub');

      ok('network', 'disconnect', 'two', 'hub');
      assert.deepEqual(interfaces('hub').map((l) => l.split(' ')[0]), ['eth0']);
      assert.equal(leases('two'), 0);
      // (From another address: the freed one is leased again to the next container.)
      const probe = onTwo.IPAddress.replace(/\d+$/, '200');
      const gone = berth('run', '--rm', '--network', 'two', '--ip', probe, busyboxImage, 'ping', '-c', '1', '-W', '2', onTwo.IPAddress);
      assert.notEqual(gone.code, 0, gone.stdout);
      refuse(1, /is not connected to network two/, 'network', 'disconnect', 'two', 'hub');
      // The network can go now; the one it still holds cannot.
      ok('network', 'rm', 'two');
      refuse(1, /has active endpoints/, 'network', 'rm', 'one');
    } finally {
      ok('rm', '-f', 'hub');
    }
    ok('network', 'rm', 'one');
  });

  test('network connect and disconnect a stopped container: recorded, and set up when it starts', () => {
    ok('network', 'create', 'left');
    ok('network', 'create', 'right');
    ok('create', '--name', 'later', '--network', 'left', busyboxImage, 'sleep', '300');
    try {
      ok('network', 'connect', '--ip', ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'right').trim().replace(/0\/\d+$/, '77'), 'right', 'later');
      ok('start', 'later');
      const up = interfaces('later');
      assert.equal(up.length, 2, up.join('\n'));
      assert.match(up[1] as string, /^eth1 \d+\.\d+\.\d+\.77$/);
      assert.equal(ok('inspect', '-f', '{{(index .NetworkSettings.Networks "right").IPAMConfig.IPv4Address}}', 'later').trim(), (up[1] as string).split(' ')[1]);
      ok('stop', '-t', '0', 'later');
      ok('network', 'disconnect', 'left', 'later');
      ok('start', 'later');
      assert.deepEqual(interfaces('later').map((l) => l.split(' ')[0]), ['eth0']);
      assert.equal(ok('inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', 'later').trim(), 'right');
    } finally {
      ok('rm', '-f', 'later');
    }
    ok('create', '--name', 'hosted', '--network', 'host', busyboxImage, 'true');
    ok('create', '--name', 'alone', '--network', 'none', busyboxImage, 'true');
    try {
      refuse(1, /container cannot be disconnected from host network or connected to host network/, 'network', 'connect', 'left', 'hosted');
      refuse(1, /one of the networks in private \(none\) mode/, 'network', 'connect', 'left', 'alone');
      refuse(1, /network nosuch not found/, 'network', 'connect', 'nosuch', 'hosted');
      refuse(1, /No such container: nosuch/i, 'network', 'connect', 'left', 'nosuch');
    } finally {
      ok('rm', 'hosted', 'alone');
    }
    ok('network', 'rm', 'left', 'right');
  });

  test('a repeated --network joins every network, each on its own interface', () => {
    ok('network', 'create', 'red');
    ok('network', 'create', 'blue');
    ok('run', '-d', '--name', 'both', '--network', 'red', '--network', 'blue', '--network-alias', 'rb', busyboxImage, 'sleep', '300');
    try {
      assert.deepEqual(interfaces('both').map((l) => l.split(' ')[0]), ['eth0', 'eth1']);
      ok('run', '--rm', '--network', 'red', busyboxImage, 'ping', '-c', '1', '-W', '2', 'rb');
      ok('run', '--rm', '--network', 'blue', busyboxImage, 'ping', '-c', '1', '-W', '2', 'both');
      assert.equal(ok('inspect', '-f', '{{.HostConfig.NetworkMode}}', 'both').trim(), 'red');
    } finally {
      ok('rm', '-f', 'both');
    }
    refuse(125, /cannot attach both user-defined and non-user-defined network-modes/, 'run', '--rm', '--network', 'host', '--network', 'red', busyboxImage, 'true');
    refuse(125, /network nosuch not found/, 'run', '--rm', '--network', 'red', '--network', 'nosuch', busyboxImage, 'true');
    ok('network', 'rm', 'red', 'blue');
  });

  test('--add-host NAME:host-gateway reaches a server on the host; --add-host NAME:IP is in /etc/hosts', async () => {
    const server: Server = await new Promise((resolve) => {
      const s = createServer((_req, res) => res.end('from the host\n')).listen(0, '0.0.0.0', () => resolve(s));
    });
    try {
      const port = (server.address() as { port: number }).port;
      const r = await berthAsync('run', '--rm', '--add-host', 'outside:host-gateway', '--add-host', 'fixed:192.0.2.10', busyboxImage,
        'sh', '-c', `grep -E 'outside|fixed' /etc/hosts; wget -qO- http://outside:${port}/`);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      const gateway = ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'bridge').trim();
      assert.deepEqual(lines, [`${gateway}\toutside`, '192.0.2.10\tfixed', 'from the host']);
    } finally {
      server.close();
    }
    assert.deepEqual(JSON.parse(ok('inspect', '-f', '{{json .HostConfig.ExtraHosts}}', ok('create', '--add-host', 'a:10.0.0.1', busyboxImage, 'true').trim())), ['a:10.0.0.1']);
    refuse(125, /bad format for add-host: "nocolon"/, 'run', '--rm', '--add-host', 'nocolon', busyboxImage, 'true');
    refuse(125, /invalid IP address in add-host: "300\.1\.1\.1"/, 'run', '--rm', '--add-host', 'x:300.1.1.1', busyboxImage, 'true');
  });

  test('--dns, --dns-search, --dns-option and --domainname', () => {
    const out = ok('run', '--rm', '--dns', '192.0.2.53', '--dns-search', 'example.test', '--dns-option', 'ndots:3', '--domainname', 'corp.test', busyboxImage,
      'sh', '-c', 'cat /etc/resolv.conf; cat /proc/sys/kernel/domainname');
    assert.deepEqual(out.trim().split('\n').filter((l) => /^(nameserver|search|options)|corp/.test(l)), ['nameserver 192.0.2.53', 'search example.test', 'options ndots:3', 'corp.test']);
    // On a network with DNS the container asks aardvark-dns, which forwards to --dns.
    ok('network', 'create', 'named');
    const gateway = ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'named').trim();
    const onNet = ok('run', '--rm', '--network', 'named', '--dns', '192.0.2.53', '--dns-search', 'example.test', busyboxImage, 'cat', '/etc/resolv.conf');
    assert.match(onNet, new RegExp(`^nameserver ${gateway.replace(/\./g, '\\.')}$`, 'm'));
    assert.doesNotMatch(onNet, /192\.0\.2\.53/);
    assert.match(onNet, /^search example\.test$/m);
    ok('network', 'rm', 'named');
    const id = ok('create', '--dns', '192.0.2.53', '--dns-search', 'a.test', '--dns-option', 'rotate', '--domainname', 'd.test', busyboxImage, 'true').trim();
    assert.equal(ok('inspect', '-f', '{{json .HostConfig.Dns}} {{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}} {{.Config.Domainname}}', id).trim(),
      '["192.0.2.53"] ["a.test"] ["rotate"] d.test');
    refuse(125, /invalid argument "nope" for "--dns" flag: nope is not an ip address/, 'run', '--rm', '--dns', 'nope', busyboxImage, 'true');
    refuse(125, /conflicting options: dns and the network mode/, 'run', '--rm', '--network', 'host', '--dns', '192.0.2.53', busyboxImage, 'true');
  });

  test('--link NAME:ALIAS puts the linked container in /etc/hosts on the default bridge', () => {
    ok('run', '-d', '--name', 'db', busyboxImage, 'sleep', '300');
    try {
      const ip = ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'db').trim();
      const out = ok('run', '--rm', '--link', 'db:database', busyboxImage, 'sh', '-c', 'grep database /etc/hosts && ping -c 1 -W 2 database');
      assert.match(out, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tdatabase [0-9a-f]{12} db$`, 'm'));
      const id = ok('create', '--link', 'db:database', busyboxImage, 'true').trim();
      assert.deepEqual(JSON.parse(ok('inspect', '-f', '{{json .HostConfig.Links}}', id)), [`/db:/${ok('inspect', '-f', '{{.Name}}', id).trim().slice(1)}/database`]);
      ok('stop', '-t', '0', 'db');
      refuse(1, /Cannot link to a non running container: \/db AS /, 'start', id);
    } finally {
      ok('rm', '-f', 'db');
    }
    refuse(125, /could not get container for nosuch/, 'run', '--rm', '--link', 'nosuch:x', busyboxImage, 'true');
    refuse(125, /host type networking can't be used with links/, 'run', '--rm', '--network', 'host', '--link', 'x', busyboxImage, 'true');
  });

  test('stats shows the network I/O of the container\'s interfaces', () => {
    ok('run', '-d', '--name', 'talker', busyboxImage, 'sleep', '300');
    ok('run', '-d', '--name', 'quiet', '--network', 'none', busyboxImage, 'sleep', '300');
    try {
      const ip = ok('inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'talker').trim();
      // 20 pings of 1000 bytes: at least 20 kB each way, as the container's eth0 counts them.
      ok('run', '--rm', busyboxImage, 'ping', '-c', '20', '-i', '0.05', '-s', '1000', '-W', '2', ip);
      const io = ok('stats', '--no-stream', '--format', '{{.NetIO}}', 'talker').trim();
      const m = /^([\d.]+)(B|kB|MB) \/ ([\d.]+)(B|kB|MB)$/.exec(io);
      assert.ok(m, io);
      const bytes = (n: string, unit: string) => Number(n) * ({ B: 1, kB: 1e3, MB: 1e6 } as Record<string, number>)[unit]!;
      assert.ok(bytes(m[1]!, m[2]!) >= 20_000, `received: ${io}`);
      assert.ok(bytes(m[3]!, m[4]!) >= 20_000, `sent: ${io}`);
      assert.equal(ok('stats', '--no-stream', '--format', '{{.NetIO}}', 'quiet').trim(), '0B / 0B');
    } finally {
      ok('rm', '-f', 'talker', 'quiet');
    }
  });
});
