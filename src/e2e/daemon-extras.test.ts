/**
 * `berth daemon`'s container extras and system endpoints, driven by the real docker 28 and 20.10
 * CLIs (and raw HTTP where a client library would go further): top, stats, diff, export, cp both
 * ways (HEAD/GET/PUT archive), a hostile tar through PUT archive, rename, update, pause/unpause,
 * container prune, commit, events (past, followed, filtered; many clients coming and going) and
 * system df. Containers are made with the berth CLI on the daemon's store.
 *
 * What the reference dockerd 20.10 answered for the same calls (through a logging proxy):
 * - stats?stream=0 waits a second for a second sample (precpu_stats filled, `preread` set);
 *   one-shot=1 answers at once with precpu zero; a stopped container gets `read` 0001-01-01 and
 *   empty memory_stats, which the CLI shows as `0B / 0B`.
 * - changes: `[{"Path":"/bin","Kind":0},{"Path":"/bin/uname","Kind":2},{"Path":"/d","Kind":1},...]`.
 * - docker cp out: GET archive?path=/d → 200 application/x-tar with X-Docker-Container-Path-Stat
 *   base64 `{"name":"d","size":4096,"mode":2147484141,"mtime":"...","linkTarget":""}`; a missing
 *   path → 404 `Could not find the file /nonexist in container NAME`. cp in: HEAD archive of the
 *   destination, then PUT archive?noOverwriteDirNonDir=true&path=/d/ with the tar.
 * - update → 200 `{"Warnings":null}`; rename, pause, unpause → 204; prune →
 *   `{"ContainersDeleted":[ids]|null,"SpaceReclaimed":N}`; commit → 201 `{"Id":"sha256:..."}`
 *   (v28 sends repo=docker.io/library/NAME; v20 sends the body `null` and pause=0 for --pause=false).
 * - events?since=&until=&filters={"container":{"NAME":true}} → one JSON object and `\n` per event.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { makeTar } from '../testing/index.js';
import { apiRequest, presentClients, startDaemon, type Daemon } from './daemon-harness.js';

const image = 'berth-test/busybox:1';

/** The parts of GET /containers/{id}/stats and GET /system/df the tests read. */
interface StatsJson {
  read: string;
  preread: string;
  name: string;
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage: number; online_cpus: number };
  precpu_stats: unknown;
  memory_stats: { limit: number };
  pids_stats: { current: number };
}
interface DfJson {
  Images: Record<string, unknown>[];
  Containers: { Names: string[]; SizeRw: number; SizeRootFs: number; Mounts: { Type: string; Name: string }[] }[];
  Volumes: { Name: string; UsageData: { RefCount: number; Size: number } }[];
}

/** `--format 'A|B|C'` output as rows by their first field. */
function rowsByFirst(text: string): Record<string, string[]> {
  const rows: Record<string, string[]> = {};
  for (const line of text.trim().split('\n')) {
    const [first = '', ...rest] = line.split('|');
    rows[first] = [first, ...rest];
  }
  return rows;
}

/** Opens a streaming GET and collects what comes until `close()`. */
function openStream(socket: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; text(): string; close(): void; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let body = '';
    const req = httpRequest({ socketPath: socket, method: 'GET', path, agent: false, headers: { Host: 'berth' } }, (res) => {
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
        res.on('error', () => done());
      });
      res.on('data', (c: Buffer) => (body += c.toString()));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text: () => body, close: () => req.destroy(), ended });
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.end();
  });
}

describe('berth daemon: container extras, events and system df', { concurrency: false }, () => {
  let d: Daemon;
  let work: string;
  const hostMarker = `berth-daemon-extras-${process.pid}-${Date.now()}`;

  const berth = (args: string[]) => {
    const r = d.store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const docker = (args: string[], client = presentClients[0]!, options: { input?: string | Buffer; cwd?: string } = {}) => {
    const r = d.docker(args, { client, ...options });
    assert.equal(r.code, 0, `docker ${client} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const inspect = (name: string, format: string) => berth(['inspect', '-f', format, name]);

  before(async () => {
    d = await startDaemon({ withBusybox: true });
    work = mkdtempSync(join(tmpdir(), 'berth-daemon-extras-'));
    berth(['run', '-d', '--name', 'sleeper', image, 'sleep', '600']);
  });
  after(async () => {
    await d.dispose();
    rmSync(work, { recursive: true, force: true });
    rmSync(join('/tmp', hostMarker), { force: true, recursive: true });
  });

  for (const client of presentClients) {
    test(`docker ${client} top lists the container's processes with ps's titles, ps_args included`, () => {
      const pid = inspect('sleeper', '{{.State.Pid}}');
      const lines = docker(['top', 'sleeper'], client).trim().split('\n');
      assert.match(lines[0]!, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.match(lines[1]!, new RegExp(`^root\\s+${pid}\\s+\\d+\\s.*sleep 600$`));
      const aux = docker(['top', 'sleeper', 'aux'], client).trim().split('\n');
      assert.match(aux[0]!, /^USER\s+PID\s+%CPU\s+%MEM\s+VSZ\s+RSS\s+TTY\s+STAT\s+START\s+TIME\s+COMMAND$/);
      assert.match(aux[1]!, new RegExp(`^root\\s+${pid}\\s.*sleep 600$`));
    });
  }

  test('top of a stopped container is a 409 naming it', () => {
    berth(['create', '--name', 'stopped', image, 'true']);
    const r = d.docker(['top', 'stopped']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: Container [0-9a-f]{64} is not running/);
  });

  for (const client of presentClients) {
    test(`docker ${client} stats --no-stream shows plausible CPU, memory, limit and pids`, () => {
      if (client === presentClients[0]) berth(['run', '-d', '--name', 'busy', '--cpus', '0.3', '--memory', '64m', image, 'sh', '-c', 'while :; do :; done']);
      const out = docker(['stats', '--no-stream', '--format', '{{.Name}}|{{.CPUPerc}}|{{.MemUsage}}|{{.MemPerc}}|{{.PIDs}}', 'sleeper', 'busy', 'stopped'], client);
      const rows = rowsByFirst(out);
      const [, cpu, mem, memPerc, pids] = rows['sleeper']!;
      assert.equal(cpu, '0.00%');
      // The host's memory is the limit of a container without one (GiB, 4 digits).
      const hostGiB = totalmem() / 2 ** 30;
      const m = /^([\d.]+)(B|KiB|MiB) \/ ([\d.]+)GiB$/.exec(mem ?? '');
      assert.ok(m, mem);
      assert.ok(Math.abs(Number(m[3]) - hostGiB) < 0.01 * hostGiB, `${mem} vs ${hostGiB} GiB`);
      assert.ok(Number(m[1]) > 0, mem);
      assert.equal(memPerc, '0.00%');
      assert.equal(pids, '1');
      // A busy loop held to 0.3 CPUs: its share of the host, times the host's CPUs, is about 30%.
      const busy = rows['busy']!;
      const busyCpu = Number(busy[1]!.replace('%', ''));
      assert.ok(busyCpu > 5 && busyCpu < 45, `busy CPU ${busy[1]}`);
      assert.match(busy[2] ?? '', / \/ 64MiB$/);
      assert.deepEqual(rows['stopped']!.slice(1), ['0.00%', '0B / 0B', '0.00%', '0']);
    });
  }

  test('stats over the API: a stream of samples a second apart, and one-shot at once', async () => {
    const started = Date.now();
    const oneShot = await apiRequest(d.socket, 'GET', '/v1.41/containers/busy/stats?stream=0&one-shot=1');
    assert.ok(Date.now() - started < 900, 'one-shot waits for no second sample');
    const one = JSON.parse(oneShot.body) as StatsJson;
    assert.equal(one.preread, '0001-01-01T00:00:00Z');
    assert.equal(one.name, '/busy');
    assert.ok(one.cpu_stats.cpu_usage.total_usage > 0 && one.cpu_stats.system_cpu_usage > 0 && one.cpu_stats.online_cpus > 0);
    assert.equal(one.memory_stats.limit, 64 * 2 ** 20);
    assert.equal(one.pids_stats.current, 1);

    const s = await openStream(d.socket, '/v1.41/containers/busy/stats');
    assert.equal(s.status, 200);
    await sleep(2500);
    s.close();
    const samples = s.text().trim().split('\n').map((l) => JSON.parse(l) as StatsJson);
    assert.ok(samples.length >= 2 && samples.length <= 4, `${samples.length} samples in 2.5 s`);
    assert.equal(samples[1]!.preread, samples[0]!.read);
    assert.deepEqual(samples[1]!.precpu_stats, samples[0]!.cpu_stats);
    assert.ok(samples[1]!.cpu_stats.cpu_usage.total_usage > samples[0]!.cpu_stats.cpu_usage.total_usage, 'the busy loop used CPU');
    assert.equal((await apiRequest(d.socket, 'GET', '/v1.41/containers/nosuch/stats?stream=0')).status, 404);
  });

  for (const client of presentClients) {
    test(`docker ${client} diff shows Docker's kinds, and export streams the root filesystem`, () => {
      if (client === presentClients[0]) berth(['exec', 'sleeper', 'sh', '-c', 'mkdir /d && echo hi > /d/f && rm /bin/uname']);
      assert.equal(docker(['diff', 'sleeper'], client), 'C /bin\nD /bin/uname\nA /d\nA /d/f\n');
      const tarFile = join(work, `export-${client}.tar`);
      docker(['export', '-o', tarFile, 'sleeper'], client);
      const names = spawnSync('tar', ['-tf', tarFile]).stdout.toString().split('\n');
      assert.ok(names.includes('bin/busybox') && names.includes('d/f'), names.slice(0, 20).join(','));
      assert.ok(!names.includes('bin/uname'));
      assert.equal(spawnSync('tar', ['-xOf', tarFile, 'd/f']).stdout.toString(), 'hi\n');
    });
  }

  test('diff of an unchanged container is null, as dockerd sends it', async () => {
    const r = await apiRequest(d.socket, 'GET', '/v1.41/containers/stopped/changes');
    assert.equal(r.status, 200);
    assert.equal(r.body.trim(), 'null');
    assert.equal((await apiRequest(d.socket, 'GET', '/v1.41/containers/nosuch/export')).status, 404);
  });

  for (const client of presentClients) {
    test(`docker ${client} cp copies out of and into a container (archive HEAD, GET, PUT)`, () => {
      const out = join(work, `cp-out-${client}`);
      docker(['cp', 'sleeper:/d', out], client);
      assert.equal(readFileSync(join(out, 'f'), 'utf8'), 'hi\n');
      docker(['cp', 'sleeper:/d/f', join(work, `f-${client}`)], client);
      assert.equal(readFileSync(join(work, `f-${client}`), 'utf8'), 'hi\n');
      // Into the container: a file into a directory, a directory to a new name, stdin's tar.
      writeFileSync(join(work, `in-${client}.txt`), `in ${client}\n`);
      docker(['cp', join(work, `in-${client}.txt`), 'sleeper:/d/'], client);
      assert.equal(berth(['exec', 'sleeper', 'cat', `/d/in-${client}.txt`]), `in ${client}`);
      const dir = join(work, `dir-${client}`);
      mkdirSync(join(dir, 'sub'), { recursive: true });
      writeFileSync(join(dir, 'sub', 'x'), 'x\n');
      docker(['cp', dir, `sleeper:/copied-${client}`], client);
      assert.equal(berth(['exec', 'sleeper', 'cat', `/copied-${client}/sub/x`]), 'x');
      // A symlink is copied as one; -L follows it (HEAD's linkTarget).
      if (client === presentClients[0]) berth(['exec', 'sleeper', 'ln', '-s', '/d/f', '/link']);
      docker(['cp', 'sleeper:/link', join(work, `link-${client}`)], client);
      assert.equal(spawnSync('readlink', [join(work, `link-${client}`)]).stdout.toString().trim(), '/d/f');
      docker(['cp', '-L', 'sleeper:/link', join(work, `followed-${client}`)], client);
      assert.equal(readFileSync(join(work, `followed-${client}`), 'utf8'), 'hi\n');
      const missing = d.docker(['cp', 'sleeper:/nonexist', work], { client });
      assert.equal(missing.code, 1);
      // docker 20.10 words a 404 itself.
      assert.match(missing.stderr, client === 'v20' ? /No such container:path: sleeper:\/nonexist/ : /Could not find the file \/nonexist in container sleeper/);
      const intoMissing = d.docker(['cp', join(work, `in-${client}.txt`), 'sleeper:/nonexist/dir/'], { client });
      assert.equal(intoMissing.code, 1);
    });
  }

  test('the archive stat header is Go\'s FileMode and the PUT checks its extraction point', async () => {
    const head = await apiRequest(d.socket, 'HEAD', '/v1.41/containers/sleeper/archive?path=/d');
    assert.equal(head.status, 200);
    const stat = JSON.parse(Buffer.from(head.headers['x-docker-container-path-stat'] as string, 'base64').toString()) as Record<string, unknown>;
    assert.equal(stat.name, 'd');
    assert.equal(stat.mode, 2 ** 31 + 0o755);
    assert.equal(stat.linkTarget, '');
    assert.ok(!Number.isNaN(Date.parse(stat.mtime as string)));
    const link = await apiRequest(d.socket, 'HEAD', '/v1.41/containers/sleeper/archive?path=/link');
    const linkStat = JSON.parse(Buffer.from(link.headers['x-docker-container-path-stat'] as string, 'base64').toString()) as Record<string, unknown>;
    assert.deepEqual([linkStat.mode, linkStat.linkTarget], [2 ** 27 + 0o777, '/d/f']);
    const tarBody = await makeTar([{ name: 'x', body: 'x' }]);
    const notDir = await apiRequest(d.socket, 'PUT', '/v1.41/containers/sleeper/archive?path=/d/f', tarBody);
    assert.deepEqual([notDir.status, JSON.parse(notDir.body)], [400, { message: 'extraction point is not a directory' }]);
    const missing = await apiRequest(d.socket, 'PUT', '/v1.41/containers/sleeper/archive?path=/nope', tarBody);
    assert.deepEqual([missing.status, JSON.parse(missing.body)], [404, { message: 'Could not find the file /nope in container sleeper' }]);
    // Without noOverwriteDirNonDir (docker-py's put_archive) a file may replace a directory; with it, not.
    berth(['exec', 'sleeper', 'mkdir', '-p', '/t/x']);
    const refused = await apiRequest(d.socket, 'PUT', '/v1.41/containers/sleeper/archive?path=/t&noOverwriteDirNonDir=true', tarBody);
    assert.equal(refused.status, 409, refused.body);
    assert.equal((await apiRequest(d.socket, 'PUT', '/v1.41/containers/sleeper/archive?path=/t', tarBody)).status, 200);
    assert.equal(berth(['exec', 'sleeper', 'cat', '/t/x']), 'x');
  });

  test('a hostile tar through PUT archive never writes outside the container', async () => {
    const marker = join('/tmp', hostMarker);
    berth(['exec', 'sleeper', 'mkdir', '-p', '/h']);
    const attempts: { entries: Parameters<typeof makeTar>[0]; path: string }[] = [
      { entries: [{ name: `../../../../../../tmp/${hostMarker}`, body: 'pwned' }], path: '/h' },
      { entries: [{ name: `/tmp/${hostMarker}`, body: 'pwned' }], path: '/' },
      { entries: [{ name: 'up', type: 'symlink', linkname: '../../../../../../../tmp' }, { name: `up/${hostMarker}`, body: 'pwned' }], path: '/h' },
      { entries: [{ name: 'abs', type: 'symlink', linkname: '/tmp' }, { name: `abs/${hostMarker}`, body: 'pwned' }], path: '/h' },
      { entries: [{ name: 'hl', type: 'link', linkname: `../../../../../tmp/${hostMarker}` }], path: '/h' },
      { entries: [{ name: hostMarker, body: 'pwned' }], path: '/../../../../tmp' },
    ];
    for (const { entries, path } of attempts) {
      const r = await apiRequest(d.socket, 'PUT', `/v1.41/containers/sleeper/archive?path=${encodeURIComponent(path)}`, await makeTar(entries));
      assert.ok(r.status === 200 || r.status === 400, `${r.status} ${r.body}`);
      assert.equal(existsSync(marker), false, `${JSON.stringify(entries)} into ${path} wrote ${marker} on the host`);
    }
    // What got through landed in the container's own /tmp.
    assert.equal(berth(['exec', 'sleeper', 'cat', `/tmp/${hostMarker}`]), 'pwned');
    const escape = await apiRequest(d.socket, 'PUT', '/v1.41/containers/sleeper/archive?path=/h', await makeTar([{ name: '../escape', body: 'x' }]));
    assert.equal(escape.status, 400);
    assert.match((JSON.parse(escape.body) as { message: string }).message, /leads outside the destination directory/);
    assert.equal(existsSync(marker), false);
  });

  for (const client of presentClients) {
    test(`docker ${client} rename, pause and unpause; their errors are dockerd's`, () => {
      const name = `renamed-${client}`;
      docker(['rename', 'stopped', name], client);
      assert.equal(inspect(name, '{{.Name}}'), `/${name}`);
      const taken = d.docker(['rename', name, 'sleeper'], { client });
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, /Conflict\. The container name "\/sleeper" is already in use by container "[0-9a-f]{64}"/);
      docker(['rename', name, 'stopped'], client);
      assert.equal(docker(['pause', 'busy'], client), 'busy\n');
      assert.equal(inspect('busy', '{{.State.Status}}'), 'paused');
      const again = d.docker(['pause', 'busy'], { client });
      assert.match(again.stderr, /Container [0-9a-f]{64} is already paused/);
      assert.equal(docker(['unpause', 'busy'], client), 'busy\n');
      assert.equal(inspect('busy', '{{.State.Status}}'), 'running');
      const stopped = d.docker(['pause', 'stopped'], { client });
      assert.equal(stopped.code, 1);
      assert.match(stopped.stderr, /Container [0-9a-f]{64} is not running/);
    });

    test(`docker ${client} update changes limits at once and the restart policy; unsupported fields are refused`, () => {
      assert.equal(docker(['update', '--memory', '96m', '--memory-swap', '192m', '--cpu-shares', '512', '--restart', 'on-failure:3', 'busy'], client), 'busy\n');
      assert.equal(inspect('busy', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}'), `${96 * 2 ** 20} ${192 * 2 ** 20} 512 on-failure:3`);
      // Applied to the running container: its cgroup's limit, as stats reads it.
      const limit = docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', 'busy'], client);
      assert.match(limit, / \/ 96MiB$/m);
      // A block I/O weight: set where the host's cgroups have one, else dropped with dockerd's warning, which the CLI prints.
      const weighted = existsSync('/sys/fs/cgroup/cgroup.controllers') || existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight');
      const blkio = d.docker(['update', '--blkio-weight', '300', 'busy'], { client });
      assert.equal(blkio.code, 0, blkio.stderr);
      // The docker CLI prints update's warnings on its standard output.
      if (!weighted) assert.match(blkio.stdout + blkio.stderr, /^Your kernel does not support Block I\/O weight or the cgroup is not mounted\. Weight discarded\.$/m);
      assert.equal(inspect('busy', '{{.HostConfig.BlkioWeight}}'), weighted ? '300' : '0');
      const kernel = d.docker(['update', '--kernel-memory', '64m', 'busy'], { client });
      assert.equal(kernel.code, 1);
      assert.match(kernel.stderr, /berth cannot update KernelMemory/);
      docker(['update', '--memory', '64m', '--memory-swap', '128m', '--restart', 'no', 'busy'], client);
    });
  }

  for (const client of presentClients) {
    test(`docker ${client} commit makes an image with the changes, message and author`, () => {
      const tag = `committed/${client}:1`;
      const id = docker(['commit', '-c', 'ENV COMMITTED=1', '-c', 'CMD ["cat", "/d/f"]', '-m', 'a message', '-a', 'an author', 'sleeper', tag], client).trim();
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      assert.equal(berth(['image', 'inspect', '-f', '{{.Id}}|{{.Author}}|{{.Comment}}|{{json .Config.Cmd}}', tag]), `${id}|an author|a message|["cat","/d/f"]`);
      assert.match(berth(['image', 'inspect', '-f', '{{json .Config.Env}}', tag]), /"COMMITTED=1"/);
      assert.equal(berth(['run', '--rm', tag]), 'hi');
    });
  }

  test('POST /commit takes a config body (docker-py\'s conf) and refuses what it cannot keep', async () => {
    const r = await apiRequest(d.socket, 'POST', '/v1.41/commit?container=sleeper&repo=confd&tag=1', JSON.stringify({ Cmd: ['echo', 'from conf'], Env: ['X=a b'], Labels: { l: 'v' } }), { 'Content-Type': 'application/json' });
    assert.equal(r.status, 201, r.body);
    assert.match((JSON.parse(r.body) as { Id: string }).Id, /^sha256:/);
    assert.equal(berth(['image', 'inspect', '-f', '{{json .Config.Cmd}} {{index .Config.Labels "l"}}', 'confd:1']), '["echo","from conf"] v');
    assert.match(berth(['image', 'inspect', '-f', '{{json .Config.Env}}', 'confd:1']), /"X=a b"/);
    const bad = await apiRequest(d.socket, 'POST', '/v1.41/commit?container=sleeper&repo=confd&tag=2', JSON.stringify({ Healthcheck: { Test: ['CMD', 'true'] } }));
    assert.equal(bad.status, 400);
    assert.match(bad.body, /berth cannot commit with config field Healthcheck/);
    assert.equal((await apiRequest(d.socket, 'POST', '/v1.41/commit?container=nosuch')).status, 404);
  });

  for (const client of presentClients) {
    test(`docker ${client} container prune removes stopped containers matching the filters`, () => {
      const keep = berth(['create', '--label', 'keep=1', image, 'true']);
      const gone = berth(['create', '--label', `prune=${client}`, image, 'true']);
      const out = docker(['container', 'prune', '-f', '--filter', `label=prune=${client}`], client);
      assert.match(out, new RegExp(`^Deleted Containers:\\n${gone}\\n\\nTotal reclaimed space: \\d+(\\.\\d+)?[kMG]?B\\n$`));
      assert.equal(d.store.berth(['inspect', gone]).code, 1);
      assert.equal(inspect(keep, '{{.State.Status}}'), 'created');
      assert.equal(inspect('sleeper', '{{.State.Status}}'), 'running');
      assert.equal(docker(['container', 'prune', '-f', '--filter', 'label=nothing=matches'], client), 'Total reclaimed space: 0B\n');
      berth(['rm', keep]);
    });
  }

  for (const client of presentClients) {
    test(`docker ${client} events --since --until --filter prints the container's create/start/die/destroy`, () => {
      const name = `ev-${client}`;
      const since = (Date.now() / 1000 - 1).toFixed(3);
      berth(['run', '--rm', '--name', name, image, 'true']);
      const until = (Date.now() / 1000 + 1).toFixed(3);
      const lines = docker(['events', '--since', since, '--until', until, '--filter', `container=${name}`], client).trim().split('\n');
      assert.deepEqual(lines.map((l) => l.split(' ').slice(1, 3).join(' ')), ['container create', 'container start', 'container die', 'container destroy']);
      for (const line of lines) assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+(Z|[+-]\\d\\d:\\d\\d) container \\w+ [0-9a-f]{64} \\(.*image=${image.replace(/[/.]/g, '\\$&')}.*name=${name}\\)$`));
      assert.match(lines[2]!, /exitCode=0/);
      // {{json .}} prints the message as the API sent it: timeNano exact, Docker's keys.
      const json = docker(['events', '--since', since, '--until', until, '--filter', `container=${name}`, '--filter', 'event=die', '--format', '{{json .}}'], client).trim();
      const event = JSON.parse(json) as Record<string, unknown>;
      assert.deepEqual(Object.keys(event), ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
      const nano = /"timeNano":(\d+)/.exec(json)![1]!;
      assert.equal(nano.slice(0, 10), String(event.time));
      assert.ok(Number(nano.slice(0, 10)) >= Math.floor(Number(since)));
    });
  }

  test('events: a bad filter is a 400, a follower sees new events, and `until` ends the stream', async () => {
    const bad = await apiRequest(d.socket, 'GET', `/v1.41/events?filters=${encodeURIComponent('{"nonsense":{"x":true}}')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /Invalid filter 'nonsense'/);
    // With `until` alone dockerd (and berth) also replays the logged past: start from now.
    const since = (Date.now() / 1000).toFixed(9);
    const until = Math.floor(Date.now() / 1000) + 3;
    const s = await openStream(d.socket, `/v1.41/events?since=${since}&until=${until}&filters=${encodeURIComponent('{"type":{"container":true},"event":{"rename":true}}')}`);
    assert.equal(s.status, 200);
    assert.equal(s.headers['content-type'], 'application/json');
    berth(['rename', 'stopped', 'stopped2']);
    berth(['rename', 'stopped2', 'stopped']);
    const before = Date.now();
    await s.ended;
    assert.ok(Date.now() <= until * 1000 + 1500, 'the stream ended once until passed');
    assert.ok(Date.now() - before < 5000);
    const events = s.text().trim().split('\n').map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
    assert.deepEqual(events.map((e) => `${e.Action} ${e.Actor.Attributes.oldName} ${e.Actor.Attributes.name}`), ['rename /stopped stopped2', 'rename /stopped2 stopped']);
  });

  test('events: clients that come and go leave nothing behind in the daemon', async () => {
    const pid = d.process.pid!;
    const fds = () => readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
    // Each follower reads the event log through an fd of its own, and has its connection.
    const logFds = () => fds().filter((l) => l.startsWith(join(d.store.root, 'events'))).length;
    const sockets = () => fds().filter((l) => l.startsWith('socket:')).length;
    const baseline = { log: logFds(), sockets: sockets() };
    assert.equal(baseline.log, 0);
    for (let round = 0; round < 3; round++) {
      const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(d.socket, '/v1.41/events')));
      assert.ok(streams.every((s) => s.status === 200));
      assert.equal(logFds(), 20);
      for (const s of streams) s.close();
      for (let i = 0; i < 30 && (logFds() > 0 || sockets() > baseline.sockets); i++) await sleep(100);
      assert.equal(logFds(), 0, `round ${round}: followers that left still read the event log`);
      assert.ok(sockets() <= baseline.sockets, `round ${round}: ${sockets()} sockets, ${baseline.sockets} before`);
    }
    // The daemon still answers, and a follower still gets events.
    assert.equal((await apiRequest(d.socket, 'GET', '/_ping')).body, 'OK');
  });

  test('docker events follows until interrupted', async () => {
    const child = spawn(presentClients.includes('v28') ? '/usr/local/bin/docker' : '/usr/bin/docker', ['events', '--filter', 'event=rename'], { env: { ...process.env, ...d.env } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await sleep(1000);
    berth(['rename', 'stopped', 'followed']);
    for (let i = 0; i < 40 && !out.includes('followed'); i++) await sleep(100);
    child.kill('SIGINT');
    assert.match(out, /container rename [0-9a-f]{64} \(.*name=followed.*oldName=\/stopped/);
    berth(['rename', 'followed', 'stopped']);
  });

  for (const client of presentClients) {
    test(`docker ${client} system df counts images, containers, volumes and the build cache`, () => {
      if (client === presentClients[0]) {
        berth(['volume', 'create', 'dfvol']);
        berth(['run', '--name', 'dfuser', '-v', 'dfvol:/data', image, 'sh', '-c', 'head -c 100000 /dev/zero > /data/blob']);
      }
      const byType = Object.fromEntries(Object.entries(rowsByFirst(docker(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}'], client))).map(([k, v]) => [k, v.slice(1)]));
      const containers = berth(['ps', '-aq']).split('\n').filter(Boolean).length;
      const running = berth(['ps', '-q']).split('\n').filter(Boolean).length;
      const images = new Set(berth(['images', '-q', '--no-trunc']).split('\n').filter(Boolean)).size;
      assert.equal(byType['Images']![0], String(images));
      assert.deepEqual(byType['Containers']!.slice(0, 2), [String(containers), String(running)]);
      assert.deepEqual(byType['Build Cache']!.slice(0, 2), ['0', '0']);
      // The sizes are berth's own (system df as the berth CLI prints it, from the same Engine call).
      const own = Object.fromEntries(Object.entries(rowsByFirst(berth(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}']))).map(([k, v]) => [k, v.slice(1)]));
      assert.equal(byType['Images']![2], own['Images']![2]);
      assert.deepEqual(byType['Local Volumes'], own['Local Volumes']);
      assert.deepEqual(byType['Local Volumes']!.slice(0, 2), ['1', '1']);
      assert.match(byType['Local Volumes']![2] ?? '', /^10\d\.\dkB$/);
      const verbose = docker(['system', 'df', '-v'], client);
      assert.match(verbose, /dfuser/);
      assert.match(verbose, new RegExp(`dfvol\\s+1\\s+${byType['Local Volumes']![2]!.replace('.', '\\.')}`));
    });
  }

  test('GET /system/df has dockerd\'s keys', async () => {
    const r = await apiRequest(d.socket, 'GET', '/v1.41/system/df');
    const body = JSON.parse(r.body) as DfJson;
    assert.deepEqual(Object.keys(body), ['LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache', 'BuilderSize']);
    assert.deepEqual(Object.keys(body.Images[0]!), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size', 'VirtualSize']);
    const dfuser = body.Containers.find((c) => c.Names[0] === '/dfuser')!;
    assert.ok(dfuser.SizeRootFs > dfuser.SizeRw && dfuser.SizeRw > 0);
    assert.deepEqual(dfuser.Mounts.map((m) => `${m.Type}:${m.Name}`), ['volume:dfvol']);
    const vol = body.Volumes.find((v) => v.Name === 'dfvol')!;
    assert.equal(vol.UsageData.RefCount, 1);
    assert.ok(vol.UsageData.Size >= 100000);
  });
});
