/**
 * Where `berth daemon` listens, and who may connect: TCP only with TLS client certificates (a CA,
 * server and client certificates made with openssl; the docker CLIs with --tlsverify), the unix
 * socket's group and mode (an unprivileged user outside the group is refused, one in it is served),
 * systemd socket activation (`-H fd://`, the socket passed as fd 3 by systemd-socket-activate, as
 * berth.socket does), and the unit files of contrib/systemd (systemd-analyze verify; systemd
 * does not run here, so they are never started by systemd itself).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { dockerClients, presentClients, startDaemon, type Daemon } from './daemon-harness.js';
import { berthBin, createStore, type Store } from './harness.js';

const repoRoot = resolve(dirname(berthBin), '..');

function run(cmd: string, args: string[], options: { env?: Record<string, string>; input?: string } = {}) {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...options.env }, input: options.input ?? '', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, timeout: 60_000 });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr.toString()}`);
}

/** A CA, and certificates it signs: the server's (for 127.0.0.1 and localhost) and a client's. */
function makeCertificates(dir: string, prefix: string): void {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${prefix}ca-key.pem`, '-out', `${prefix}ca.pem`, '-days', '2', '-subj', `/CN=${prefix}berth test CA`], dir);
  const sign = (name: string, subject: string, ext: string) => {
    writeFileSync(join(dir, `${prefix}${name}.ext`), ext);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${prefix}${name}-key.pem`, '-out', `${prefix}${name}.csr`, '-subj', subject], dir);
    openssl(['x509', '-req', '-in', `${prefix}${name}.csr`, '-CA', `${prefix}ca.pem`, '-CAkey', `${prefix}ca-key.pem`, '-CAcreateserial', '-out', `${prefix}${name}-cert.pem`, '-days', '2', '-extfile', `${prefix}${name}.ext`], dir);
  };
  sign('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  sign('client', '/CN=berth-client', 'extendedKeyUsage=clientAuth\n');
}

/** A TCP port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('berth daemon: TLS on TCP, the socket group, socket activation, unit files', { concurrency: false }, () => {
  let d: Daemon;
  let dir: string;
  let port: number;
  const group = `berthtest${process.pid}`.slice(0, 30);
  let gid: number;
  const tls = (file: string) => join(dir, file);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-daemon-listen-'));
    makeCertificates(dir, '');
    makeCertificates(dir, 'rogue-');
    assert.equal(run('groupadd', ['--system', group]).code, 0);
    gid = Number(run('getent', ['group', group]).stdout.split(':')[2]);
    port = await freePort();
    d = await startDaemon({
      withBusybox: false,
      args: ['--group', group, '-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', tls('ca.pem'), '--tlscert', tls('server-cert.pem'), '--tlskey', tls('server-key.pem')],
    });
    // The harness's directory is private (0700); let others reach the socket so that its own mode decides.
    chmodSync(dirname(d.socket), 0o755);
  });
  after(async () => {
    await d.dispose();
    run('groupdel', [group]);
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsArgs = (client: 'client' | 'rogue-client' = 'client', ca = 'ca.pem') => ['--tlsverify', '--tlscacert', tls(ca), '--tlscert', tls(`${client}-cert.pem`), '--tlskey', tls(`${client}-key.pem`), '-H', `tcp://127.0.0.1:${port}`];

  for (const client of presentClients) {
    test(`docker ${client} with a client certificate is served over TCP+TLS`, () => {
      const r = d.docker([...tlsArgs(), 'version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'], { client });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+ 1\.41$/);
      const info = d.docker([...tlsArgs(), 'info', '--format', '{{.DockerRootDir}}'], { client });
      assert.equal(info.stdout.trim(), d.store.root);
    });

    test(`docker ${client} without a client certificate, or with one another CA signed, is refused`, () => {
      const noCert = d.docker(['--tlsverify', '--tlscacert', tls('ca.pem'), '-H', `tcp://127.0.0.1:${port}`, 'version', '--format', '{{.Server.Version}}'], { client });
      assert.notEqual(noCert.code, 0);
      assert.match(noCert.stderr, /certificate required|bad certificate|handshake failure/i);
      assert.equal(noCert.stdout.trim(), '');
      const rogue = d.docker([...tlsArgs('rogue-client'), 'version', '--format', '{{.Server.Version}}'], { client });
      assert.notEqual(rogue.code, 0);
      assert.match(rogue.stderr, /unknown certificate authority|bad certificate|certificate required/i);
    });
  }

  test('plain HTTP to the TLS port gets no answer, and curl needs a client certificate too', () => {
    const plain = run('curl', ['-s', '--max-time', '5', `http://127.0.0.1:${port}/_ping`]);
    assert.notEqual(plain.code, 0);
    assert.notEqual(plain.stdout, 'OK');
    const noCert = run('curl', ['-s', '--max-time', '5', '--cacert', tls('ca.pem'), `https://127.0.0.1:${port}/_ping`]);
    assert.notEqual(noCert.code, 0);
    const withCert = run('curl', ['-s', '--max-time', '5', '--cacert', tls('ca.pem'), '--cert', tls('client-cert.pem'), '--key', tls('client-key.pem'), `https://127.0.0.1:${port}/_ping`]);
    assert.equal(withCert.stdout, 'OK', withCert.stderr);
  });

  test('tcp:// without --tlsverify, or with half the TLS flags, is refused at start', () => {
    const other = `tcp://127.0.0.1:${port + 1}`;
    const plain = d.store.berth(['daemon', '-H', other, '--pidfile', join(dir, 'plain.pid')], { timeoutMs: 15_000 });
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, new RegExp(`refusing to listen on ${other.replace(/\./g, '\\.')} without TLS client authentication: add --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY`));
    assert.equal(existsSync(join(dir, 'plain.pid')), false);
    const half = d.store.berth(['daemon', '-H', other, '--tlsverify', '--tlscacert', tls('ca.pem'), '--pidfile', join(dir, 'half.pid')], { timeoutMs: 15_000 });
    assert.equal(half.code, 1);
    assert.match(half.stderr, /--tlsverify needs --tlscacert, --tlscert and --tlskey/);
    const noVerify = d.store.berth(['daemon', '-H', other, '--tlscacert', tls('ca.pem'), '--tlscert', tls('server-cert.pem'), '--tlskey', tls('server-key.pem'), '--pidfile', join(dir, 'nov.pid')], { timeoutMs: 15_000 });
    assert.equal(noVerify.code, 1);
    assert.match(noVerify.stderr, /take effect only with --tlsverify/);
  });

  test('the unix socket is root:GROUP 0660: a user outside the group is refused, one in it is served', () => {
    const st = statSync(d.socket);
    assert.equal(st.mode & 0o777, 0o660);
    assert.deepEqual([st.uid, st.gid], [0, gid]);
    const docker = dockerClients[presentClients[0]!];
    const env = { DOCKER_HOST: d.host, DOCKER_CONFIG: join(dir, 'nobody-config'), HOME: '/nonexistent' };
    const outside = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', docker, 'version', '--format', '{{.Server.Version}}'], { env });
    assert.notEqual(outside.code, 0);
    assert.match(outside.stderr, /permission denied/i);
    const curlOutside = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'curl', '-sS', '--unix-socket', d.socket, 'http://berth/_ping']);
    assert.notEqual(curlOutside.code, 0);
    assert.match(curlOutside.stderr, /Couldn't connect|Permission denied/i);
    const member = run('setpriv', ['--reuid=65534', '--regid=65534', `--groups=${gid}`, docker, 'version', '--format', '{{.Server.Version}}'], { env });
    assert.equal(member.code, 0, member.stderr);
    assert.match(member.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  test('a --group that does not exist is an error at start', () => {
    const r = d.store.berth(['daemon', '-H', `unix://${join(dir, 'nogroup.sock')}`, '--group', 'no-such-group-berth', '--pidfile', join(dir, 'nogroup.pid')], { timeoutMs: 15_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /group "no-such-group-berth" not found/);
  });
});

describe('berth daemon -H fd:// under socket activation', { concurrency: false }, () => {
  let store: Store;
  let dir: string;
  before(() => {
    store = createStore({ withBusybox: false });
    dir = mkdtempSync(join(tmpdir(), 'berth-daemon-fd-'));
  });
  after(() => {
    store.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('systemd-socket-activate passes fd 3: the daemon serves it, and leaves the socket to its owner', async () => {
    const socket = join(dir, 'activated.sock');
    const pidfile = join(dir, 'activated.pid');
    const log = join(dir, 'activated.log');
    // As berth.socket does: systemd listens, and execs the service with LISTEN_FDS=1 and LISTEN_PID on the first connection.
    const child = spawn('sh', ['-c', `exec systemd-socket-activate -l "$0" "$@" >>'${log}' 2>&1`, socket, berthBin, '--root', store.root, 'daemon', '-H', 'fd://', '--pidfile', pidfile], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50);
      assert.ok(existsSync(socket), 'systemd-socket-activate made the socket');
      assert.equal(existsSync(pidfile), false, 'nothing runs before the first connection');
      const env = { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'config') };
      for (const client of presentClients) {
        const r = run(dockerClients[client], ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'], { env });
        assert.equal(r.code, 0, `${r.stderr}\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
        assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+ 1\.41$/);
      }
      // systemd-socket-activate exec'd the daemon: LISTEN_PID named it, and it took fd 3.
      assert.equal(Number(readFileSync(pidfile, 'utf8')), child.pid);
      assert.match(readFileSync(log, 'utf8'), /API listening on fd:\/\/3 /);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      // Its pings were the native lane's: systemd's unix socket is served like the daemon's own.
      assert.match(readFileSync(log, 'utf8'), /native lane: answered [1-9]\d* requests/);
      // The socket is systemd's: the daemon does not remove it (the next connection starts the service again).
      assert.ok(existsSync(socket));
      assert.equal(existsSync(pidfile), false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  test('fd:// without sockets passed to this process is a clear error', () => {
    const none = store.berth(['daemon', '-H', 'fd://', '--pidfile', join(dir, 'none.pid')], { timeoutMs: 15_000 });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /fd:\/\/ was given but systemd passed no sockets \(LISTEN_FDS is not set for this process\)/);
    // LISTEN_PID names another process (the variables were inherited, not meant for this one).
    const other = store.berth(['daemon', '-H', 'fd://', '--pidfile', join(dir, 'other.pid')], { timeoutMs: 15_000, env: { LISTEN_FDS: '1', LISTEN_PID: '1' } });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /systemd passed no sockets/);
  });

  test('contrib/systemd: berth.socket and berth.service are what systemd expects', () => {
    const units = join(dir, 'units');
    rmSync(units, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', units]);
    for (const name of ['berth.socket', 'berth.service']) copyFileSync(join(repoRoot, 'contrib/systemd', name), join(units, name));
    const socketUnit = readFileSync(join(units, 'berth.socket'), 'utf8');
    for (const line of ['ListenStream=/run/berth/berth.sock', 'SocketMode=0660', 'SocketGroup=berth']) assert.ok(socketUnit.split('\n').includes(line), line);
    const serviceUnit = readFileSync(join(units, 'berth.service'), 'utf8');
    for (const line of ['ExecStart=/usr/local/bin/berth daemon -H fd://', 'Requires=berth.socket', 'KillMode=process']) assert.ok(serviceUnit.split('\n').includes(line), line);
    // `systemd-analyze verify` checks that ExecStart's program exists: point it at this checkout's, as setup's --link does.
    writeFileSync(join(units, 'berth.service'), serviceUnit.replace('/usr/local/bin/berth', berthBin));
    const verify = run('systemd-analyze', ['verify', join(units, 'berth.socket'), join(units, 'berth.service')]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(`${verify.stdout}${verify.stderr}`.trim(), '');
    // It would have said so: a misspelt key is reported.
    writeFileSync(join(units, 'berth.socket'), socketUnit.replace('SocketMode=', 'SocketMod='));
    const broken = run('systemd-analyze', ['verify', join(units, 'berth.socket'), join(units, 'berth.service')]);
    assert.match(broken.stderr, /Unknown key (name )?'SocketMod'/);
  });
});
