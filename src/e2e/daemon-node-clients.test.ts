/**
 * The Node clients against `berth daemon`: dockerode 4 (docker-modem 5: unversioned paths, the
 * create body repeated in the query, exec and attach hijacked with Upgrade, and `run()`, which
 * attaches WITHOUT Upgrade and reads a raw 200 stream until the daemon closes it) and
 * testcontainers 10 (a GenericContainer started, waited for by a log message and by its
 * published port — reached from the host — used, and stopped; the reaper off, DOCKER_HOST at the
 * daemon). One daemon for the file.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';

import Docker from 'dockerode';
import { GenericContainer, Wait } from 'testcontainers';

import { startDaemon, type Daemon } from './daemon-harness.js';
import { busyboxImage } from './harness.js';

/** Everything a stream gives until it ends, as text. */
function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('close', () => resolve(Buffer.concat(chunks).toString()));
    stream.on('error', reject);
  });
}

/** A multiplexed stream's stdout and stderr, through dockerode's own demultiplexer. */
async function demuxed(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const texts = Promise.all([collect(out), collect(err)]);
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  out.end();
  err.end();
  const [stdout, stderr] = await texts;
  return { stdout, stderr };
}

describe('berth daemon: dockerode and testcontainers', { timeout: 300_000 }, () => {
  let d: Daemon;
  let docker: Docker;
  before(async () => {
    d = await startDaemon({ withBusybox: true });
    docker = new Docker({ socketPath: d.socket });
  });
  after(async () => {
    await d.dispose();
  });
  const ids = () => d.docker(['ps', '-aq']).stdout;

  test('dockerode: ping, version, create (body repeated in the query), start, list with filters, inspect, exec over a hijack (frames, exit code; a terminal exec raw), logs, stop, wait, remove, 404s', async () => {
    assert.equal(String(await docker.ping()), 'OK');
    assert.equal((await docker.version()).ApiVersion, '1.41');
    const c = await docker.createContainer({
      Image: busyboxImage,
      name: 'dode-1',
      Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exec sleep 300'],
      Env: ['GREETING=from-dockerode'],
      Labels: { 'made-by': 'dockerode' },
    });
    await c.start();
    const listed = await docker.listContainers({ filters: { label: ['made-by=dockerode'] } });
    assert.deepEqual(listed.map((x) => [x.Names, x.State, x.Image]), [[['/dode-1'], 'running', busyboxImage]]);
    const info = await c.inspect();
    assert.equal(info.Name, '/dode-1');
    assert.equal(info.State.Running, true);
    assert.ok(info.Config.Env.includes('GREETING=from-dockerode'));

    const exec = await c.exec({ Cmd: ['sh', '-c', 'echo "$GREETING"; echo exec-err >&2; exit 4'], AttachStdout: true, AttachStderr: true });
    const output = await demuxed(docker, await exec.start({ hijack: true, stdin: false }));
    assert.deepEqual(output, { stdout: 'from-dockerode\n', stderr: 'exec-err\n' });
    const execInfo = await exec.inspect();
    assert.equal(execInfo.ExitCode, 4);
    assert.equal(execInfo.Running, false);

    // stdin through the hijacked exec, then its end
    const cat = await c.exec({ Cmd: ['sh', '-c', 'tr a-z A-Z; echo done'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const catStream = (await cat.start({ hijack: true, stdin: true })) as unknown as NodeJS.ReadWriteStream & { end(chunk?: string): void };
    const catOut = demuxed(docker, catStream);
    catStream.end('shout\n');
    assert.deepEqual(await catOut, { stdout: 'SHOUT\ndone\n', stderr: '' });

    // a terminal exec: raw bytes, the terminal's line endings
    const tty = await c.exec({ Cmd: ['sh', '-c', 'echo on-a-tty; test -t 1 && echo is-a-tty'], AttachStdout: true, AttachStderr: true, Tty: true });
    assert.equal(await collect(await tty.start({ hijack: true, stdin: false, Tty: true })), 'on-a-tty\r\nis-a-tty\r\n');

    const logs = await c.logs({ stdout: true, stderr: true });
    // frames: stream byte, three zeros, a big-endian length
    assert.deepEqual([...logs.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 7]);
    assert.match(logs.toString('latin1'), /to-out\n[^]*to-err\n$/);
    const stdoutOnly = await c.logs({ stdout: true, stderr: false });
    assert.equal(stdoutOnly.subarray(8).toString(), 'to-out\n');

    await c.stop({ t: 1 });
    assert.deepEqual(await c.wait(), { Error: null, StatusCode: 137 });
    assert.equal((await c.inspect()).State.Status, 'exited');
    await c.remove({ v: true });
    await assert.rejects(c.inspect(), (err: { statusCode?: number; json?: { message?: string } }) => err.statusCode === 404 && err.json?.message === `No such container: ${c.id}`);
    await assert.rejects(docker.createContainer({ Image: 'no-such/image:1' }), (err: { statusCode?: number }) => err.statusCode === 404);
    assert.equal(ids(), '');
  });

  test('dockerode: attach with Upgrade to a created container (stdin, then start), logs followed to the exit', async () => {
    const c = await docker.createContainer({ Image: busyboxImage, Cmd: ['sh', '-c', 'read line; echo "got $line"; echo bye >&2'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    const output = demuxed(docker, stream);
    await c.start();
    stream.write('hello\n');
    assert.deepEqual(await output, { stdout: 'got hello\n', stderr: 'bye\n' });
    assert.deepEqual(await c.wait(), { Error: null, StatusCode: 0 });
    await c.remove();

    const f = await docker.createContainer({ Image: busyboxImage, Cmd: ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.2; done'] });
    await f.start();
    const followed = await demuxed(docker, await f.logs({ follow: true, stdout: true, stderr: true }));
    assert.equal(followed.stdout, 'line 1\nline 2\nline 3\n');
    await f.remove();
    assert.equal(ids(), '');
  });

  test('dockerode run(): a terminal (its attach is a raw 200 stream without Upgrade) and without one (two streams); the exit code from wait', async () => {
    const out = new PassThrough();
    const seen = collect(out);
    const [result, container] = (await docker.run(busyboxImage, ['sh', '-c', 'echo run-out; echo run-err >&2; test -t 0 && echo tty; exit 3'], out, { Tty: true })) as [{ StatusCode: number }, Docker.Container];
    out.end();
    assert.equal(result.StatusCode, 3);
    assert.equal(await seen, 'run-out\r\nrun-err\r\ntty\r\n');
    assert.equal((await container.inspect()).Config.Tty, true);
    await container.remove();

    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const texts = Promise.all([collect(stdout), collect(stderr)]);
    const [plain, second] = (await docker.run(busyboxImage, ['sh', '-c', 'echo run-out; echo run-err >&2; exit 5'], [stdout, stderr], { Tty: false })) as [{ StatusCode: number }, Docker.Container];
    stdout.end();
    stderr.end();
    assert.equal(plain.StatusCode, 5);
    assert.deepEqual(await texts, ['run-out\n', 'run-err\n']);
    await second.remove();
    assert.equal(ids(), '');
  });

  test('testcontainers: a GenericContainer started, waited for by its log message and its published port, reached from the host, exec\'d into, and stopped (removed)', async () => {
    process.env.DOCKER_HOST = d.host;
    process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
    const container = await new GenericContainer(busyboxImage)
      .withCommand(['sh', '-c', 'mkdir -p /www && echo served-by-berth > /www/index.html && echo httpd starting && exec httpd -f -p 8080 -h /www'])
      .withExposedPorts(8080)
      .withLabels({ 'made-by': 'testcontainers' })
      .withWaitStrategy(Wait.forAll([Wait.forLogMessage('httpd starting'), Wait.forListeningPorts()]))
      .withStartupTimeout(60_000)
      .start();
    try {
      const port = container.getMappedPort(8080);
      assert.ok(port >= 1024, `a published port: ${port}`);
      // the port as the daemon published it, on the host testcontainers chose for this runtime
      assert.match(d.docker(['port', container.getId(), '8080/tcp']).stdout, new RegExp(`:${port}\\n`));
      const response = await fetch(`http://${container.getHost()}:${port}/`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(await response.text(), 'served-by-berth\n');
      assert.deepEqual(await container.exec(['sh', '-c', 'cat /www/index.html; echo oops >&2; exit 2']), { output: 'served-by-berth\noops\n', stdout: 'served-by-berth\n', stderr: 'oops\n', exitCode: 2 });
      assert.equal(d.docker(['inspect', '-f', '{{index .Config.Labels "made-by"}} {{.State.Status}}', container.getId()]).stdout, 'testcontainers running\n');
    } finally {
      await container.stop();
    }
    assert.equal(ids(), '', 'stop removes the container');
  });
});
