/**
 * `berth daemon`'s network and volume endpoints driven by the real docker CLIs: create, ls (with
 * filters and --format), inspect, connect/disconnect a running container (started by the berth
 * CLI on the same store), rm with dockerd's 403/404/409 texts, prune. Messages are dockerd
 * 20.10's (tools/reference-dockerd.sh).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiRequest, presentClients, startDaemon, type Daemon, type DockerClient } from './daemon-harness.js';
import { busyboxImage } from './harness.js';

const pick = (client: DockerClient): DockerClient => (presentClients.includes(client) ? client : presentClients[0]!);

describe('berth daemon: networks and volumes', () => {
  let d: Daemon;
  const ok = (args: string[], options: Parameters<Daemon['docker']>[1] = {}) => {
    const r = d.docker(args, options);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const fails = (args: string[], pattern: RegExp, options: Parameters<Daemon['docker']>[1] = {}) => {
    const r = d.docker(args, options);
    assert.equal(r.code, 1, `docker ${args.join(' ')} should fail: ${r.stdout}`);
    assert.match(r.stderr, pattern);
  };

  before(async () => {
    d = await startDaemon({ withBusybox: true });
  });
  after(async () => {
    await d.dispose();
  });

  test('network create, ls, inspect and rm; dockerd\'s texts for a duplicate, a predefined and a missing network', () => {
    // dockerd echoes IPAM.Config as given: a Gateway only when --gateway was (test/fixtures/cli/networks.json).
    const id = ok(['network', 'create', '--subnet', '172.29.77.0/24', '--gateway', '172.29.77.1', '--label', 'purpose=test', 'dmn-net1'], { client: pick('v28') }).trim();
    assert.match(id, /^[a-f0-9]{64}$/);
    fails(['network', 'create', 'dmn-net1'], /Error response from daemon: network with name dmn-net1 already exists/, { client: pick('v20') });
    for (const client of presentClients) {
      const table = ok(['network', 'ls'], { client }).split('\n');
      assert.match(table[0] ?? '', /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
      assert.deepEqual(table.slice(1).filter(Boolean).map((l) => l.split(/\s+/).slice(1).join(' ')).sort(), ['bridge bridge local', 'dmn-net1 bridge local', 'host host local', 'none null local']);
      assert.equal(ok(['network', 'ls', '--filter', 'label=purpose=test', '--format', '{{.ID}} {{.Name}} {{.Driver}}'], { client }), `${id.slice(0, 12)} dmn-net1 bridge\n`);
      assert.equal(ok(['network', 'ls', '-q', '--filter', 'type=custom', '--no-trunc'], { client }), `${id}\n`);
      assert.equal(ok(['network', 'inspect', '-f', '{{.Id}} {{.Driver}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{.Labels.purpose}}', 'dmn-net1'], { client }), `${id} bridge 172.29.77.0/24 172.29.77.1 test\n`);
    }
    fails(['network', 'inspect', 'dmn-nosuch'], /network dmn-nosuch not found/);
    fails(['network', 'rm', 'bridge'], /Error response from daemon: bridge is a pre-defined network and cannot be removed/);
    fails(['network', 'rm', 'dmn-nosuch'], /Error response from daemon: network dmn-nosuch not found/, { client: pick('v28') });
    // docker 20.10 looks the network up first and says it in its own words on the 404 (as with dockerd)
    fails(['network', 'rm', 'dmn-nosuch'], presentClients.includes('v20') ? /^Error: No such network: dmn-nosuch$/m : /not found/, { client: pick('v20') });
    assert.equal(ok(['network', 'rm', 'dmn-net1']), 'dmn-net1\n');
    assert.doesNotMatch(ok(['network', 'ls']), /dmn-net1/);
  });

  test('network create refuses what berth\'s networks cannot do, naming it; the raw statuses are dockerd\'s', async () => {
    // --attachable (compose 1.29 sends Attachable for every project network) changes nothing on a local network: recorded, as by dockerd
    assert.match(ok(['network', 'create', '--attachable', '--subnet', '172.29.81.0/29', '--aux-address', 'nas=172.29.81.2', 'dmn-attachable']), /^[0-9a-f]{64}\n$/);
    assert.equal(ok(['network', 'inspect', '-f', '{{.Attachable}} {{json (index .IPAM.Config 0).AuxiliaryAddresses}}', 'dmn-attachable']), 'true {"nas":"172.29.81.2"}\n');
    const taken = d.docker(['run', '--rm', '--network', 'dmn-attachable', '--ip', '172.29.81.2', busyboxImage, 'true']);
    assert.equal(taken.code, 125, taken.stderr);
    assert.match(taken.stderr, /Address already in use: 172\.29\.81\.2/);
    ok(['network', 'rm', 'dmn-attachable']);
    fails(['network', 'create', '--scope', 'swarm', 'dmn-swarmish'], /Scope "swarm" is not supported by berth's networks/);
    fails(['network', 'create', '--subnet', '172.29.78.0/24', '--subnet', '172.29.79.0/24', 'dmn-two'], /More than one IPAM.Config is not supported/);
    fails(['network', 'create', '--ipam-driver', 'other', 'dmn-ipam'], /IPAM driver "other" is not supported/);
    const dup = await apiRequest(d.socket, 'POST', '/v1.41/networks/create', JSON.stringify({ Name: 'bridge', CheckDuplicate: true }), { 'Content-Type': 'application/json' });
    assert.equal(dup.status, 409);
    const rm = await apiRequest(d.socket, 'DELETE', '/v1.41/networks/none');
    assert.equal(rm.status, 403);
    assert.deepEqual(JSON.parse(rm.body), { message: 'none is a pre-defined network and cannot be removed' });
    const missing = await apiRequest(d.socket, 'GET', '/v1.41/networks/dmn-nosuch');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { message: 'network dmn-nosuch not found' });
  });

  test('network connect and disconnect a running container; rm of a network in use is dockerd\'s 403; prune', () => {
    ok(['network', 'create', '--subnet', '172.29.80.0/24', 'dmn-net2'], { client: pick('v20') });
    const started = d.store.berth(['run', '-d', '--name', 'dmn-web', busyboxImage, 'sleep', '300']);
    assert.equal(started.code, 0, started.stderr);
    try {
      ok(['network', 'connect', '--alias', 'web-alias', '--ip', '172.29.80.9', 'dmn-net2', 'dmn-web'], { client: pick('v28') });
      assert.equal(ok(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}', 'dmn-net2']), 'dmn-web 172.29.80.9/24\n');
      // inside the container: the new interface with its address
      const addresses = d.store.berth(['exec', 'dmn-web', 'ip', '-4', '-o', 'addr']);
      assert.match(addresses.stdout, /172\.29\.80\.9\/24/);
      const aliases = d.store.berth(['inspect', '-f', '{{(index .NetworkSettings.Networks "dmn-net2").Aliases}}', 'dmn-web']);
      assert.match(aliases.stdout, /web-alias/);
      fails(['network', 'connect', 'dmn-net2', 'dmn-nosuch-container'], /dmn-nosuch-container/);
      fails(['network', 'rm', 'dmn-net2'], /Error response from daemon: error while removing network: network dmn-net2 id [a-f0-9]{64} has active endpoints/, { client: pick('v20') });
      // nothing to prune while it is in use
      assert.doesNotMatch(ok(['network', 'prune', '-f']), /dmn-net2/);
      ok(['network', 'disconnect', 'dmn-net2', 'dmn-web'], { client: pick('v20') });
      assert.equal(ok(['network', 'inspect', '-f', '{{len .Containers}}', 'dmn-net2']), '0\n');
      assert.doesNotMatch(d.store.berth(['exec', 'dmn-web', 'ip', '-4', '-o', 'addr']).stdout, /172\.29\.80\.9/);
      fails(['network', 'disconnect', 'dmn-net2', 'dmn-web'], /is not connected to/);
    } finally {
      d.store.berth(['rm', '-f', 'dmn-web']);
    }
    ok(['network', 'create', '--label', 'keep=yes', 'dmn-kept'], { client: pick('v28') });
    // the label filter keeps dmn-kept; a plain prune takes what is left
    assert.equal(ok(['network', 'prune', '-f', '--filter', 'label!=keep=yes']), 'Deleted Networks:\ndmn-net2\n\n');
    assert.equal(ok(['network', 'prune', '-f'], { client: pick('v20') }), 'Deleted Networks:\ndmn-kept\n\n');
  });

  test('volume create, ls, inspect and rm; in use is dockerd\'s 409, missing its 404; an empty name makes a 64-hex one', () => {
    assert.equal(ok(['volume', 'create', '--label', 'purpose=test', 'dmn-vol1'], { client: pick('v28') }), 'dmn-vol1\n');
    const generated = ok(['volume', 'create'], { client: pick('v20') }).trim();
    assert.match(generated, /^[a-f0-9]{64}$/);
    for (const client of presentClients) {
      const table = ok(['volume', 'ls'], { client }).split('\n').filter(Boolean);
      assert.match(table[0] ?? '', /^DRIVER\s+VOLUME NAME$/);
      assert.deepEqual(table.slice(1).map((l) => l.split(/\s+/).join(' ')).sort(), [`local ${generated}`, 'local dmn-vol1'].sort());
      assert.equal(ok(['volume', 'ls', '-q', '--filter', 'label=purpose=test'], { client }), 'dmn-vol1\n');
      assert.equal(ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Labels.purpose}} {{.Scope}}', 'dmn-vol1'], { client }), 'dmn-vol1 local test local\n');
    }
    assert.match(ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'dmn-vol1']), new RegExp(`^${d.store.root}/volumes/dmn-vol1/_data\n$`));
    fails(['volume', 'inspect', 'dmn-nosuch'], /get dmn-nosuch: no such volume/, { client: pick('v28') });
    fails(['volume', 'rm', 'dmn-nosuch'], /Error response from daemon: get dmn-nosuch: no such volume/, { client: pick('v28') });
    // docker 20.10 words the 404 itself (as with dockerd)
    fails(['volume', 'rm', 'dmn-nosuch'], presentClients.includes('v20') ? /^Error: No such volume: dmn-nosuch$/m : /no such volume/, { client: pick('v20') });
    assert.equal(ok(['volume', 'rm', '-f', 'dmn-nosuch']), 'dmn-nosuch\n');
    // in use by a container (even a stopped one): dockerd's 409 with the container's id
    const created = d.store.berth(['create', '-v', 'dmn-vol1:/data', busyboxImage, 'true']);
    assert.equal(created.code, 0, created.stderr);
    const cid = created.stdout.trim();
    fails(['volume', 'rm', 'dmn-vol1'], new RegExp(`Error response from daemon: remove dmn-vol1: volume is in use - \\[${cid}\\]`));
    assert.equal(d.store.berth(['rm', cid]).code, 0);
    assert.equal(ok(['volume', 'rm', 'dmn-vol1', generated], { client: pick('v20') }), `dmn-vol1\n${generated}\n`);
  });

  test('volume prune follows the API version: at 1.41 (what both CLIs negotiate) every unused volume, from 1.42 anonymous ones unless all=true', async () => {
    ok(['volume', 'create', 'dmn-named']);
    const before = new Set(ok(['volume', 'ls', '-q']).split('\n'));
    const anonymous = d.store.berth(['create', '-v', '/anon', busyboxImage, 'true']);
    assert.equal(anonymous.code, 0, anonymous.stderr);
    const anonVolume = ok(['volume', 'ls', '-q']).split('\n').find((v) => v !== '' && !before.has(v)) ?? '';
    assert.match(anonVolume, /^[a-f0-9]{64}$/);
    assert.equal(d.store.berth(['rm', anonymous.stdout.trim()]).code, 0);
    const prune = (version: string, filters?: string) => apiRequest(d.socket, 'POST', `/v${version}/volumes/prune${filters ? `?filters=${encodeURIComponent(filters)}` : ''}`);
    const newer = JSON.parse((await prune('1.43')).body) as { VolumesDeleted: string[] | null; SpaceReclaimed: number };
    assert.deepEqual(newer.VolumesDeleted, [anonVolume]);
    assert.equal((await prune('1.41', '{"all":["true"]}')).status, 400);
    ok(['volume', 'create', 'dmn-other']);
    const all = ok(['volume', 'prune', '-f'], { client: pick('v20') });
    assert.match(all, /^Deleted Volumes:\n(dmn-named\ndmn-other|dmn-other\ndmn-named)\n\nTotal reclaimed space: 0B\n$/);
    assert.equal(ok(['volume', 'ls', '-q']), '');
  });
});
