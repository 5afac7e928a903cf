/**
 * Debian's python3-docker (docker-py, the high-level `docker.from_env()` client) against `berth
 * daemon`: containers (run attached and detached, logs, exec_run's output and exit code, wait,
 * stop, remove), images (build with build args — docker-py finds the image by the stream's
 * `Successfully built` line and sends rm=False by default — list, get, tag, remove, a failing
 * build's BuildError), networks (create, connect with an alias another container reaches,
 * disconnect, remove) and volumes (create, mounted by name, list, remove). Each scenario is a
 * python3 script that prints what it saw as JSON; the test checks it. One daemon for the file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startDaemon, type Daemon } from './daemon-harness.js';
import { busyboxImage } from './harness.js';

/** Debian's interpreter, whose dist-packages hold python3-docker (a python3 earlier on PATH may not). */
const python = '/usr/bin/python3';

const prelude = `import docker, io, json, sys
client = docker.from_env()
seen = {'docker_py': docker.__version__}
def done():
    print(json.dumps(seen))
IMAGE = ${JSON.stringify(busyboxImage)}
`;

describe('berth daemon: docker-py (python3-docker)', { timeout: 300_000 }, () => {
  let d: Daemon;
  let work: string;
  before(async () => {
    d = await startDaemon({ withBusybox: true });
    work = mkdtempSync(join(tmpdir(), 'berth-docker-py-'));
  });
  after(async () => {
    await d.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs a scenario; its JSON, or a failure with the script's traceback. */
  function scenario(name: string, body: string): Record<string, unknown> {
    const file = join(work, `${name}.py`);
    writeFileSync(file, `${prelude}${body}\ndone()\n`);
    const r = spawnSync(python, [file], { env: { ...process.env, ...d.env }, timeout: 180_000, cwd: work });
    const stdout = r.stdout.toString();
    assert.equal(r.status, 0, `${name}.py: ${stdout}${r.stderr.toString()}\n--- daemon log:\n${d.log().slice(-3000)}`);
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  }
  const ids = () => d.docker(['ps', '-aq']).stdout;

  test('containers: run attached (stdout, then with stderr), detached, logs, exec_run (output, exit code, demux), wait, stop, remove', () => {
    const seen = scenario('containers', `
seen['api'] = client.version()['ApiVersion']
seen['run'] = client.containers.run(IMAGE, ['sh', '-c', 'echo out; echo err >&2'], remove=True).decode()
seen['run_stderr'] = client.containers.run(IMAGE, ['sh', '-c', 'echo out; sleep 0.1; echo err >&2'], stdout=True, stderr=True, remove=True).decode()
try:
    client.containers.run(IMAGE, ['sh', '-c', 'echo failing >&2; exit 3'], remove=True)
except docker.errors.ContainerError as e:
    seen['container_error'] = [e.exit_status, e.stderr.decode()]
c = client.containers.run(IMAGE, ['sh', '-c', 'echo started; exec sleep 300'], detach=True, name='py-detached', labels={'made-by': 'docker-py'})
c.reload()
seen['detached'] = [c.name, c.status, c.labels.get('made-by'), c.image.tags]
seen['listed'] = [x.name for x in client.containers.list(filters={'label': 'made-by=docker-py'})]
r = c.exec_run(['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 4'])
seen['exec'] = [r.exit_code, r.output.decode()]
r = c.exec_run(['sh', '-c', 'echo exec-out; echo exec-err >&2'], demux=True)
seen['exec_demux'] = [r.exit_code, r.output[0].decode(), r.output[1].decode()]
r = c.exec_run('cat /etc/hostname', workdir='/tmp', environment={'A': 'b'})
seen['exec_hostname'] = r.output.decode().strip() == c.id[:12]
seen['logs'] = c.logs().decode()
c.stop(timeout=1)
seen['wait'] = c.wait()
c.reload()
seen['stopped'] = [c.status, c.attrs['State']['ExitCode']]
c.remove()
try:
    client.containers.get('py-detached')
except docker.errors.NotFound as e:
    seen['gone'] = e.explanation
`);
    assert.equal(seen.api, '1.41');
    assert.equal(seen.run, 'out\n');
    assert.equal(seen.run_stderr, 'out\nerr\n');
    assert.deepEqual(seen.container_error, [3, 'failing\n']);
    assert.deepEqual(seen.detached, ['py-detached', 'running', 'docker-py', [busyboxImage]]);
    assert.deepEqual(seen.listed, ['py-detached']);
    assert.deepEqual(seen.exec, [4, 'exec-out\nexec-err\n']);
    assert.deepEqual(seen.exec_demux, [0, 'exec-out\n', 'exec-err\n']);
    assert.equal(seen.exec_hostname, true);
    assert.equal(seen.logs, 'started\n');
    // sh as PID 1 ignores SIGTERM: the stop's SIGKILL ends it (137), as with dockerd
    assert.deepEqual(seen.wait, { Error: null, StatusCode: 137 });
    assert.deepEqual(seen.stopped, ['exited', 137]);
    assert.equal(seen.gone, 'No such container: py-detached');
    assert.equal(ids(), '', 'run(remove=True) left nothing');
  });

  test('images: build with build args and labels (found by its Successfully built line), list, get, tag, remove; a failing RUN raises BuildError', () => {
    const seen = scenario('images', `
ctx = ${JSON.stringify(work)} + '/context'
import os
os.makedirs(ctx, exist_ok=True)
with open(ctx + '/Dockerfile', 'w') as f:
    f.write('FROM ' + IMAGE + '\\nARG GREETING=hi\\nRUN echo "$GREETING" > /greeting\\nLABEL app=docker-py\\nCMD ["cat", "/greeting"]\\n')
image, logs = client.images.build(path=ctx, tag='py/built:1', buildargs={'GREETING': 'hello from docker-py'})
logs = list(logs)
seen['built'] = [image.tags, image.labels, image.id.startswith('sha256:')]
seen['stream'] = ''.join(l.get('stream', '') for l in logs)
seen['aux'] = [l['aux']['ID'] for l in logs if 'aux' in l] == [image.id]
seen['run'] = client.containers.run('py/built:1', remove=True).decode()
seen['list'] = sorted(t for i in client.images.list() for t in i.tags)
seen['list_filtered'] = [i.tags for i in client.images.list(filters={'label': 'app=docker-py'})]
seen['get'] = client.images.get('py/built:1').id == image.id
seen['tag'] = image.tag('py/built', 'two')
seen['tags'] = sorted(client.images.get(image.id).tags)
client.images.remove('py/built:two')
seen['after_untag'] = client.images.get(image.id).tags
client.images.remove('py/built:1')
try:
    client.images.get('py/built:1')
except docker.errors.ImageNotFound as e:
    seen['removed'] = e.explanation
try:
    client.images.build(fileobj=io.BytesIO(('FROM ' + IMAGE + '\\nRUN echo before; exit 3\\n').encode()))
except docker.errors.BuildError as e:
    seen['build_error'] = [e.msg, ''.join(l.get('stream', '') for l in e.build_log)]
`);
    assert.deepEqual(seen.built, [['py/built:1'], { app: 'docker-py' }, true]);
    const stream = seen.stream as string;
    assert.match(stream, /^Step 1\/5 : FROM berth-test\/busybox:1\n/);
    assert.match(stream, /Step 3\/5 : RUN echo "\$GREETING" > \/greeting\n ---> Running in [0-9a-f]{12}\n/);
    // rm=False is docker-py's default: the build runs; dockerd would keep the step's container, berth has none to keep
    assert.doesNotMatch(stream, /Removing intermediate container/);
    assert.match(stream, /Successfully built [0-9a-f]{12}\nSuccessfully tagged py\/built:1\n$/);
    assert.equal(seen.aux, true);
    assert.equal(seen.run, 'hello from docker-py\n');
    assert.deepEqual(seen.list, [busyboxImage, 'py/built:1']);
    assert.deepEqual(seen.list_filtered, [['py/built:1']]);
    assert.equal(seen.get, true);
    assert.equal(seen.tag, true);
    assert.deepEqual(seen.tags, ['py/built:1', 'py/built:two']);
    assert.deepEqual(seen.after_untag, ['py/built:1']);
    assert.equal(seen.removed, 'No such image: py/built:1');
    assert.deepEqual(seen.build_error, ["The command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3", (seen.build_error as string[])[1]]);
    assert.match((seen.build_error as string[])[1] ?? '', /Step 2\/2 : RUN echo before; exit 3\n ---> Running in [0-9a-f]{12}\nbefore\n/);
    assert.equal(d.docker(['images', '-q', 'py/built']).stdout, '');
  });

  test('networks and volumes: create, connect with an alias another container reaches by name, disconnect, remove; a named volume mounted, listed, removed', () => {
    const seen = scenario('networks', `
n = client.networks.create('py-net', driver='bridge', labels={'made-by': 'docker-py'})
seen['network'] = [n.name, n.attrs['Driver'], n.attrs['Labels']]
c = client.containers.run(IMAGE, ['sleep', '300'], detach=True, name='py-target')
n.connect(c, aliases=['py-alias'])
n.reload()
seen['members'] = [x.name for x in n.containers]
c.reload()
seen['aliases'] = 'py-alias' in c.attrs['NetworkSettings']['Networks']['py-net']['Aliases']
seen['reached'] = client.containers.run(IMAGE, ['sh', '-c', 'ping -c1 -W5 py-alias >/dev/null && echo reached py-alias'], network='py-net', remove=True).decode()
n.disconnect(c)
n.reload()
seen['after_disconnect'] = [x.name for x in n.containers]
c.remove(force=True)
seen['listed'] = [x.name for x in client.networks.list(names=['py-net'])]
n.remove()
seen['networks_after'] = [x.name for x in client.networks.list(names=['py-net'])]
v = client.volumes.create('py-vol', labels={'made-by': 'docker-py'})
seen['volume'] = [v.name, v.attrs['Driver'], v.attrs['Labels']]
# docker-py sends both Config.Volumes and HostConfig.Binds for this: the bind wins, as with dockerd
seen['write'] = client.containers.run(IMAGE, ['sh', '-c', 'echo kept > /v/f; cat /v/f'], volumes={'py-vol': {'bind': '/v', 'mode': 'rw'}}, remove=True).decode()
seen['read'] = client.containers.run(IMAGE, ['cat', '/v/f'], volumes=['py-vol:/v:ro'], remove=True).decode()
seen['volumes'] = [x.name for x in client.volumes.list(filters={'label': 'made-by=docker-py'})]
v.remove()
seen['volumes_after'] = [x.name for x in client.volumes.list()]
try:
    client.volumes.get('py-vol')
except docker.errors.NotFound as e:
    seen['volume_gone'] = e.explanation
`);
    assert.deepEqual(seen.network, ['py-net', 'bridge', { 'made-by': 'docker-py' }]);
    assert.deepEqual(seen.members, ['py-target']);
    assert.equal(seen.aliases, true);
    assert.equal(seen.reached, 'reached py-alias\n');
    assert.deepEqual(seen.after_disconnect, []);
    assert.deepEqual(seen.listed, ['py-net']);
    assert.deepEqual(seen.networks_after, []);
    assert.deepEqual(seen.volume, ['py-vol', 'local', { 'made-by': 'docker-py' }]);
    assert.equal(seen.write, 'kept\n');
    assert.equal(seen.read, 'kept\n');
    assert.deepEqual(seen.volumes, ['py-vol']);
    assert.deepEqual(seen.volumes_after, []);
    assert.equal(seen.volume_gone, 'get py-vol: no such volume');
    assert.equal(ids(), '');
  });
});
