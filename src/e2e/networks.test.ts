/**
 * Networks end to end (issue 11): the default bridge and user networks on netavark + aardvark-dns,
 * name and alias resolution, published ports reached from the host on loopback, isolation between
 * networks, internal networks, exact clean-up over create/start/rm cycles, and bad input refused
 * before anything is made. Only loopback and the test's own namespaces are ever contacted.
 * Messages were checked against dockerd 20.10 (tools/reference-dockerd.sh).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

// Unreachable addresses are probed with `ping -W` (a bounded wait): a TCP connect to a dropped
// destination waits for the kernel's SYN retries, about two minutes.

import type { Store } from './harness.js';
import { busyboxImage, createStore, mountsUnder } from './harness.js';

const httpd = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

function get(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => void (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('networks', () => {
  let store: Store;
  let netnsDir: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
    netnsDir = join('/run/berth', createHash('sha256').update(realpathSync(store.root)).digest('hex').slice(0, 12), 'netns');
  });
  after(() => store.dispose());
  const berth = (...args: string[]) => store.berth(args);
  const ok = (...args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const networks = () => JSON.parse(ok('network', 'inspect', ...ok('network', 'ls', '-q').trim().split('\n'))) as { Name: string; Id: string; IPAM: { Config: { Subnet: string }[] } }[];

  /** What this store's networking leaves on the host: links of its bridges, rules naming its subnets, namespaces, leases, port claims. */
  function footprint() {
    const nets = networks().filter((n) => n.IPAM.Config.length > 0);
    const subnets = nets.map((n) => n.IPAM.Config[0]?.Subnet as string);
    const bridges = nets.map((n) => (JSON.parse(readFileSync(join(store.root, 'networks', `${n.Id}.json`), 'utf8')) as { bridge: string }).bridge);
    const links = (JSON.parse(spawnSync('ip', ['-j', 'link']).stdout.toString()) as { ifname: string; master?: string }[])
      .filter((l) => bridges.includes(l.ifname) || bridges.includes(l.master ?? '')).map((l) => l.ifname);
    const rules = spawnSync('iptables-save').stdout.toString().split('\n').filter((l) => subnets.some((s) => l.includes(s)));
    let namespaces: string[] = [];
    try {
      namespaces = readdirSync(netnsDir);
    } catch {
      // never made
    }
    // The default bridge's keeper (services/bridge-keeper.ts) stays between containers: not theirs to leave.
    namespaces = namespaces.filter((n) => n !== 'bridge-keeper');
    const leases = nets.flatMap((n) => Object.entries(JSON.parse((() => {
      try {
        return readFileSync(join(store.root, 'networks', `${n.Id}.leases.json`), 'utf8');
      } catch {
        return '{}';
      }
    })()) as Record<string, string>).filter(([, owner]) => owner !== 'bridge-keeper').map(([ip]) => ip));
    const claims = JSON.parse(readFileSync('/run/berth/network-claims/claims.json', 'utf8')) as { ports: Record<string, { netns: string }> };
    const ports = Object.values(claims.ports).filter((c) => c.netns.startsWith(netnsDir));
    return { links, rules, namespaces, leases, ports, mounts: mountsUnder(store.root).length };
  }

  test('network ls shows the predefined networks; create, inspect, rm', () => {
    assert.deepEqual(ok('network', 'ls', '--format', '{{.Name}} {{.Driver}}').trim().split('\n'), ['bridge bridge', 'host host', 'none null']);
    const id = ok('network', 'create', '--subnet', '10.199.7.0/24', '--gateway', '10.199.7.254', '--label', 'a=b', 'made').trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(ok('network', 'inspect', '-f', '{{.Name}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{.Labels.a}}', id.slice(0, 12)).trim(), 'made 10.199.7.0/24 10.199.7.254 b');
    assert.equal(ok('network', 'rm', 'made').trim(), 'made');
    const r = berth('network', 'rm', 'bridge');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bridge is a pre-defined network and cannot be removed/);
  });

  test('containers on a user network reach each other by name and alias; the host reaches published ports on loopback', async () => {
    ok('network', 'create', 'front');
    ok('run', '-d', '--name', 'web', '--network', 'front', '--network-alias', 'site', '-p', '127.0.0.1::80', busyboxImage, ...httpd);
    try {
      for (const name of ['web', 'site']) {
        const out = ok('run', '--rm', '--network', 'front', busyboxImage, 'wget', '-qO-', `http://${name}/`);
        assert.match(out, /^hello from /, name);
      }
      const mapping = ok('port', 'web', '80').trim();
      const m = /^127\.0\.0\.1:(\d+)$/.exec(mapping);
      assert.ok(m, mapping);
      assert.match(ok('port', 'web'), /^80\/tcp -> 127\.0\.0\.1:\d+\n$/);
      assert.match(await get(Number(m[1])), /^hello from /);
      const inspect = JSON.parse(ok('inspect', 'web')) as [{ NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string; MacAddress: string; Aliases: string[]; NetworkID: string }>; Ports: Record<string, { HostIp: string; HostPort: string }[]> } }];
      const front = inspect[0].NetworkSettings.Networks['front'];
      assert.ok(front);
      assert.match(front.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
      assert.ok(front.Aliases.includes('site'));
      assert.equal(front.NetworkID, ok('network', 'inspect', '-f', '{{.Id}}', 'front').trim());
      assert.deepEqual(inspect[0].NetworkSettings.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: m[1] }]);
      // Another network cannot reach it (by address: its DNS does not know the name, and would
      // forward the question to the host's resolvers, which this test must not contact).
      ok('network', 'create', 'back');
      const other = berth('run', '--rm', '--network', 'back', busyboxImage, 'ping', '-c', '1', '-W', '2', front.IPAddress);
      assert.notEqual(other.code, 0, other.stdout);
      ok('run', '--rm', '--network', 'front', busyboxImage, 'ping', '-c', '1', '-W', '2', front.IPAddress);
    } finally {
      ok('rm', '-f', 'web');
    }
  });

  test('a published port on the default bridge answers on 127.0.0.1, and -P publishes exposed ports', async () => {
    const free = await new Promise<number>((resolve) => {
      const s: Server = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    ok('run', '-d', '--name', 'pub', '-p', `${free}:80`, '--expose', '8080', '-P', busyboxImage, ...httpd);
    try {
      assert.match(await get(free), /^hello from /);
      // Through the host's own address too: from the host, and from another container (as Docker's docs promise).
      const hostAddress = Object.entries(networkInterfaces()).filter(([name]) => !/^(berth|docker|veth|podman)/.test(name))
        .flatMap(([, addrs]) => addrs ?? []).find((a) => a.family === 'IPv4' && !a.internal)?.address;
      assert.ok(hostAddress, 'the host has an address of its own');
      assert.match(await get(free, hostAddress), /^hello from /);
      assert.match(ok('run', '--rm', busyboxImage, 'wget', '-qO-', `http://${hostAddress}:${free}/`), /^hello from /);
      const lines = ok('port', 'pub').trim().split('\n');
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.ok(lines.includes(`80/tcp -> 0.0.0.0:${free}`), lines.join('\n'));
      assert.match(ok('run', '--rm', busyboxImage, 'cat', '/etc/resolv.conf'), /nameserver /);
    } finally {
      ok('rm', '-f', 'pub');
    }
  });

  test('an --internal network has no route out', () => {
    ok('network', 'create', '--internal', 'sealed');
    const out = ok('run', '--rm', '--network', 'sealed', busyboxImage, 'ip', 'route');
    assert.doesNotMatch(out, /default/);
    const r = berth('run', '--rm', '--network', 'sealed', busyboxImage, 'ping', '-c', '1', '-W', '2', '192.0.2.1');
    assert.notEqual(r.code, 0);
  });

  test('bad input is refused with a clear error and leaves nothing', async () => {
    ok('network', 'create', '--subnet', '10.198.0.0/24', 'taken');
    const before = footprint();
    const containersBefore = ok('ps', '-aq');
    const refuse = (code: number, pattern: RegExp, ...args: string[]) => {
      const r = berth(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
    };
    refuse(1, /Pool overlaps with other one on this address space/, 'network', 'create', '--subnet', '10.198.0.128/25', 'overlap');
    refuse(1, /no matching subnet for gateway 10\.5\.0\.1/, 'network', 'create', '--subnet', '10.197.0.0/24', '--gateway', '10.5.0.1', 'badgw');
    refuse(1, /network with name taken already exists/, 'network', 'create', 'taken');
    // The docker CLI's and dockerd's messages (observed with docker 20.10).
    refuse(1, /no matching subnet for aux-address 10\.5\.0\.2/, 'network', 'create', '--subnet', '10.197.0.0/24', '--aux-address', 'a=10.5.0.2', 'badaux');
    refuse(1, /no matching subnet for aux-address 10\.5\.0\.2/, 'network', 'create', '--aux-address', 'a=10.5.0.2', 'badaux');
    refuse(1, /plugin "other" not found/, 'network', 'create', '--ipam-driver', 'other', 'badipam');
    refuse(1, /--ipam-opt is not supported by berth's networks/, 'network', 'create', '--ipam-opt', 'a=b', 'badipam');
    refuse(1, /cannot create a swarm scoped network when swarm is not active/, 'network', 'create', '--scope', 'swarm', 'badscope');
    refuse(125, /network nosuch not found/, 'run', '--rm', '--network', 'nosuch', busyboxImage, 'true');
    refuse(125, /Invalid address 10\.5\.0\.5: It does not belong to any of this network's subnets/, 'run', '--rm', '--network', 'taken', '--ip', '10.5.0.5', busyboxImage, 'true');
    refuse(125, /user specified IP address is supported on user defined networks only/, 'run', '--rm', '--ip', '10.5.0.5', busyboxImage, 'true');
    refuse(125, /invalid containerPort: garbage/, 'run', '--rm', '-p', 'garbage', busyboxImage, 'true');
    refuse(125, /invalid hostPort: 99999/, 'run', '--rm', '-p', '99999:80', busyboxImage, 'true');
    refuse(125, /invalid proto: xyz/, 'run', '--rm', '-p', '80/xyz', busyboxImage, 'true');
    const server: Server = await new Promise((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const port = (server.address() as { port: number }).port;
      refuse(125, /port is already allocated/, 'run', '--rm', '-p', `${port}:80`, busyboxImage, 'true');
    } finally {
      server.close();
    }
    assert.equal(ok('ps', '-aq'), containersBefore);
    assert.deepEqual(footprint(), before);
    ok('run', '-d', '--name', 'holder', '--network', 'taken', '--ip', '10.198.0.9', busyboxImage, 'sleep', '60');
    try {
      refuse(125, /Address already in use: 10\.198\.0\.9/, 'run', '--rm', '--network', 'taken', '--ip', '10.198.0.9', busyboxImage, 'true');
      refuse(1, /network taken id [0-9a-f]{64} has active endpoints/, 'network', 'rm', 'taken');
    } finally {
      ok('rm', '-f', 'holder');
    }
    assert.equal(ok('network', 'rm', 'taken').trim(), 'taken');
  });

  test('--network container:NAME shares its namespace, its host name and its hosts files; what would contradict them is refused (dockerd\'s messages)', () => {
    ok('network', 'create', 'sharing');
    ok('run', '-d', '--name', 'donor', '--network', 'sharing', '-h', 'donorhost', '--add-host', 'extra.local:10.9.9.9', busyboxImage, 'sleep', '60');
    try {
      const probe = 'readlink /proc/self/ns/net; hostname; cat /etc/hostname; echo $HOSTNAME; cat /etc/hosts';
      const donor = ok('exec', 'donor', 'sh', '-c', probe);
      const joined = berth('run', '--rm', '--network', 'container:donor', busyboxImage, 'sh', '-c', probe);
      assert.equal(joined.code, 0, joined.stderr);
      assert.equal(joined.stdout, donor);
      assert.match(joined.stdout, /^net:\[\d+\]\ndonorhost\ndonorhost\ndonorhost\n[^]*10\.9\.9\.9\textra\.local/);
      for (const [flags, message] of [
        [['-h', 'mine'], /conflicting options: hostname and the network mode/],
        [['--expose', '80'], /conflicting options: port exposing and the container type network mode/],
        [['--mac-address', '02:42:ac:11:00:02'], /conflicting options: mac-address and the network mode/],
        [['-p', '8080:80'], /conflicting options: port publishing and the container type network mode/],
        [['--dns', '1.1.1.1'], /conflicting options: dns and the network mode/],
      ] as const) {
        const r = berth('run', '--rm', '--network', 'container:donor', ...flags, busyboxImage, 'true');
        assert.equal(r.code, 125, flags.join(' '));
        assert.match(r.stderr, message, flags.join(' '));
      }
      const hostMac = berth('run', '--rm', '--network', 'host', '--mac-address', '02:42:ac:11:00:02', busyboxImage, 'true');
      assert.match(hostMac.stderr, /conflicting options: mac-address and the network mode/);
    } finally {
      ok('rm', '-f', 'donor');
      ok('network', 'rm', 'sharing');
    }
  });

  test('--aux-address keeps addresses from containers, asked for or drawn; --attachable is recorded', () => {
    // A /29: the gateway .1, auxiliary .2 to .5, so containers get .6 (and nothing else).
    ok('network', 'create', '--subnet', '10.196.0.0/29', '--aux-address', 'router=10.196.0.2', '--aux-address', 'nas=10.196.0.3', '--aux-address', 'a=10.196.0.4',
      '--aux-address', 'b=10.196.0.5', '--attachable', 'auxnet');
    try {
      assert.equal(ok('network', 'inspect', '-f', '{{json (index .IPAM.Config 0).AuxiliaryAddresses}} {{.Attachable}}', 'auxnet').trim(),
        '{"a":"10.196.0.4","b":"10.196.0.5","nas":"10.196.0.3","router":"10.196.0.2"} true');
      const r = berth('run', '--rm', '--network', 'auxnet', busyboxImage, 'sh', '-c', "ip -4 -o addr show eth0 | awk '{print $4}'");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), '10.196.0.6/29');
      const asked = berth('run', '--rm', '--network', 'auxnet', '--ip', '10.196.0.3', busyboxImage, 'true');
      assert.equal(asked.code, 125);
      assert.match(asked.stderr, /Address already in use: 10\.196\.0\.3/);
    } finally {
      ok('network', 'rm', 'auxnet');
    }
  });

  test("a container keeps its way out while others join and leave its network: the bridge's MAC address never changes", () => {
    // Before: the kernel gave the bridge its lowest port's address; when that container left, the
    // others kept sending to the gone address for their ARP entry's life (a build step's download
    // stalled ~40 s in CI when the concurrent build's step ended).
    const id = ok('network', 'create', 'steady').trim();
    const bridge = (JSON.parse(readFileSync(join(store.root, 'networks', `${id}.json`), 'utf8')) as { bridge: string }).bridge;
    const gateway = ok('network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', 'steady').trim();
    const bridgeMac = () => readFileSync(`/sys/class/net/${bridge}/address`, 'utf8').trim();
    try {
      ok('run', '-d', '--name', 'first', '--network', 'steady', busyboxImage, 'sleep', '300');
      const mac = bridgeMac();
      ok('run', '-d', '--name', 'watcher', '--network', 'steady', busyboxImage, 'sleep', '300');
      ok('exec', 'watcher', 'ping', '-c', '1', '-W', '2', gateway);
      const seen = ok('exec', 'watcher', 'cat', '/proc/net/arp').split('\n').find((l) => l.startsWith(`${gateway} `));
      assert.match(seen ?? '', new RegExp(` ${mac} `), 'the watcher resolved the gateway to the bridge');
      for (const name of ['second', 'third']) ok('run', '-d', '--name', name, '--network', 'steady', busyboxImage, 'sleep', '300');
      assert.equal(bridgeMac(), mac, 'joining containers left the address alone');
      ok('rm', '-f', 'first', 'second', 'third');
      assert.equal(bridgeMac(), mac, 'the first container leaving left the address alone');
      const r = berth('exec', 'watcher', 'ping', '-c', '1', '-W', '2', gateway);
      assert.equal(r.code, 0, `the watcher still reaches its gateway: ${r.stdout}${r.stderr}`);
    } finally {
      berth('rm', '-f', 'first', 'second', 'third', 'watcher');
      berth('network', 'rm', 'steady');
    }
  });

  test('20 create/start/rm cycles on two networks leave links, rules, namespaces, leases and mounts as before', () => {
    ok('network', 'create', 'cyc1');
    ok('network', 'create', 'cyc2');
    // Warm up: netavark's own chains are made once and stay.
    ok('run', '--rm', '--network', 'cyc1', '-p', '127.0.0.1::80', busyboxImage, 'true');
    const before = footprint();
    for (let i = 0; i < 20; i++) {
      const net = i % 2 === 0 ? 'cyc1' : 'cyc2';
      ok('create', '--name', `c${i}`, '--network', net, '-p', '127.0.0.1::80', busyboxImage, 'sleep', '30');
      ok('start', `c${i}`);
      if (i % 4 === 0) ok('run', '--rm', '--network', net, busyboxImage, 'true');
      ok('rm', '-f', `c${i}`);
    }
    assert.deepEqual(footprint(), before);
    assert.deepEqual(before.namespaces, []);
    assert.deepEqual(before.leases, []);
    assert.deepEqual(before.ports, []);
  });
});
