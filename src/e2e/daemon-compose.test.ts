/**
 * Debian's docker-compose 1.29 against `berth daemon`: a two-service app — a Python web service
 * built from a Dockerfile that, on every request, fetches data from a second service (busybox
 * httpd) by its name on the project network and counts its hits in a named volume — with a
 * published port reached from the host. up -d, ps, port, logs, exec, down -v, each output checked.
 *
 * The Python base is the host's python3 in a busybox root (tools/make-python-rootfs.sh, seconds,
 * offline), imported through the daemon. compose builds by shelling out to the `docker` on PATH
 * (COMPOSE_DOCKER_CLI_BUILD's default in 1.29): docker 28 without buildx there, which falls back
 * to the classic builder's POST /build; a second build goes through compose's own docker-py
 * (COMPOSE_DOCKER_CLI_BUILD=0). One daemon for the file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { pythonRootfsTar } from '../testing/index.js';
import { startDaemon, type Daemon } from './daemon-harness.js';
import { busyboxImage, type Result } from './harness.js';

const webApp = `import http.server, urllib.request

class Web(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        # The store service by its name on the project network, on every request.
        answer = urllib.request.urlopen('http://store:8080/answer', timeout=10).read().decode().strip()
        with open('/data/hits', 'a') as f:
            f.write('hit\\n')
        with open('/data/hits') as f:
            hits = len(f.readlines())
        body = f'web got {answer} from store; hits {hits}\\n'.encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print('request:', fmt % args, flush=True)

print('web listening on 8000', flush=True)
http.server.ThreadingHTTPServer(('', 8000), Web).serve_forever()
`;

const composeFile = `version: "3.8"
services:
  web:
    build: ./web
    image: shop/web:1
    ports:
      - "127.0.0.1::8000"
    volumes:
      - data:/data
    depends_on:
      - store
  store:
    image: ${busyboxImage}
    command: ["sh", "-c", "mkdir -p /www && echo 42 > /www/answer && echo store ready && exec httpd -f -p 8080 -h /www"]
volumes:
  data:
`;

/** GET from the host, retried for up to a minute while the service starts (Python takes a moment). */
async function get(url: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const text = await response.text();
      if (response.ok) return text;
      if (Date.now() > deadline) throw new Error(`HTTP ${response.status}: ${text}`);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(100);
  }
}

describe('berth daemon: docker-compose 1.29', { timeout: 600_000 }, () => {
  let d: Daemon;
  let project: string;
  before(async () => {
    d = await startDaemon({ withBusybox: true });
    project = mkdtempSync(join(tmpdir(), 'berth-compose-'));
    mkdirSync(join(project, 'web'));
    writeFileSync(join(project, 'web', 'app.py'), webApp);
    writeFileSync(join(project, 'web', 'Dockerfile'), 'FROM berth-test/python:3\nCOPY app.py /app/app.py\nEXPOSE 8000\nCMD ["python3", "-u", "/app/app.py"]\n');
    writeFileSync(join(project, 'docker-compose.yml'), composeFile);
    const imported = d.docker(['import', '-c', 'CMD ["python3"]', '-', 'berth-test/python:3'], { input: pythonRootfsTar() });
    assert.equal(imported.code, 0, imported.stderr);
  });
  after(async () => {
    compose(['down', '-v', '--timeout', '1']);
    await d.dispose();
    rmSync(project, { recursive: true, force: true });
  });

  function compose(args: string[], env: Record<string, string> = {}): Result {
    const r = spawnSync('docker-compose', ['-p', 'shop', '--no-ansi', ...args], {
      cwd: project,
      env: { ...process.env, ...d.env, ...env },
      timeout: 180_000,
      maxBuffer: 64 << 20,
    });
    return { code: r.status ?? 128, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }
  const ok = (args: string[], env: Record<string, string> = {}) => {
    const r = compose(args, env);
    assert.equal(r.code, 0, `docker-compose ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r;
  };
  const docker = (args: string[]) => {
    const r = d.docker(args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  test('up -d builds the web image through the docker CLI, creates the network, the volume and both containers; ps, port, HTTP from the host, logs, exec; down -v removes them all', async () => {
    const up = ok(['up', '-d']);
    const said = up.stdout + up.stderr;
    assert.match(said, /Creating network "shop_default" with the default driver/);
    assert.match(said, /Creating volume "shop_data" with default driver/);
    assert.match(said, /Step 1\/4 : FROM berth-test\/python:3[^]*Successfully built [0-9a-f]{12}\nSuccessfully tagged shop\/web:1/);
    assert.match(said, /Creating shop_store_1 \.\.\. done/);
    assert.match(said, /Creating shop_web_1 +\.\.\. done/);

    // The project's objects, labelled as compose labels them (it finds them again by these labels).
    assert.equal(docker(['network', 'inspect', '-f', '{{.Driver}} {{index .Labels "com.docker.compose.project"}}', 'shop_default']), 'bridge shop\n');
    assert.equal(docker(['volume', 'ls', '--format', '{{.Name}} {{.Driver}}', '--filter', 'label=com.docker.compose.project=shop']), 'shop_data local\n');
    assert.equal(docker(['image', 'inspect', '-f', '{{.Config.Cmd}}', 'shop/web:1']), '[python3 -u /app/app.py]\n');

    const ps = ok(['ps']).stdout.split('\n');
    assert.match(ps[0] ?? '', /^\s*Name\s+Command\s+State\s+Ports\s*$/);
    assert.ok(ps.some((l) => /^shop_store_1\s+sh -c mkdir -p \/www && ech \.\.\.\s+Up\s*$/.test(l)), ps.join('\n'));
    assert.ok(ps.some((l) => /^shop_web_1\s+python3 -u \/app\/app\.py\s+Up\s+127\.0\.0\.1:\d+->8000\/tcp\s*$/.test(l)), ps.join('\n'));
    assert.equal(ok(['ps', '-q']).stdout.split('\n').filter(Boolean).length, 2);
    assert.equal(ok(['ps', '--services']).stdout.split('\n').filter(Boolean).sort().join(' '), 'store web');

    const published = ok(['port', 'web', '8000']).stdout.trim();
    assert.match(published, /^127\.0\.0\.1:\d+$/);
    // The web service fetches from the store by name on each request, and counts hits in the named volume.
    assert.equal(await get(`http://${published}/`), 'web got 42 from store; hits 1\n');
    assert.equal(ok(['exec', '-T', 'store', 'sh', '-c', 'echo 43 > /www/answer; cat /www/answer']).stdout, '43\n');
    assert.equal(await get(`http://${published}/`), 'web got 43 from store; hits 2\n');
    // exec without a terminal: output and exit code both come back
    assert.equal(ok(['exec', '-T', 'web', 'python3', '-c', 'print(open("/data/hits").read().count("hit"))']).stdout, '2\n');
    const failed = compose(['exec', '-T', 'web', 'sh', '-c', 'echo to-stderr >&2; exit 5']);
    assert.equal(failed.code, 5);
    assert.match(failed.stderr, /to-stderr/);

    const logs = ok(['logs', '--no-color']).stdout;
    assert.match(logs, /^Attaching to shop_web_1, shop_store_1$/m);
    assert.match(logs, /^store_1 +\| store ready$/m);
    assert.match(logs, /^web_1 +\| web listening on 8000$/m);
    assert.equal(logs.match(/^web_1 +\| request: "GET \/ HTTP\/1\.1" 200 -$/gm)?.length, 2, logs);
    assert.equal(ok(['logs', '--no-color', 'store']).stdout.includes('web_1'), false);

    const down = ok(['down', '-v', '--timeout', '2']);
    const downSaid = down.stdout + down.stderr;
    assert.match(downSaid, /Stopping shop_web_1 +\.\.\. done/);
    assert.match(downSaid, /Removing shop_store_1 +\.\.\. done/);
    assert.match(downSaid, /Removing network shop_default/);
    assert.match(downSaid, /Removing volume shop_data/);
    assert.equal(docker(['ps', '-aq']), '');
    assert.equal(docker(['volume', 'ls', '-q']), '');
    assert.doesNotMatch(docker(['network', 'ls', '--format', '{{.Name}}']), /shop_default/);
    await assert.rejects(fetch(`http://${published}/`, { signal: AbortSignal.timeout(5_000) }), 'the published port is gone');
    assert.equal(ok(['ps', '-q']).stdout, '');
  });

  test('COMPOSE_DOCKER_CLI_BUILD=0: compose builds through its own docker-py (POST /build with rm=True), then up and down again', async () => {
    const built = ok(['build', '--no-cache', 'web'], { COMPOSE_DOCKER_CLI_BUILD: '0' });
    const said = built.stdout + built.stderr;
    assert.match(said, /Building web\n/);
    assert.match(said, /Step 2\/4 : COPY app\.py \/app\/app\.py/);
    assert.match(said, /Successfully built ([0-9a-f]{12})\nSuccessfully tagged shop\/web:1/);
    const id = /Successfully built ([0-9a-f]{12})/.exec(said)?.[1] ?? '';
    assert.equal(docker(['image', 'inspect', '-f', '{{.Id}}', 'shop/web:1']).slice(7, 19), id);
    ok(['up', '-d'], { COMPOSE_DOCKER_CLI_BUILD: '0' });
    const published = ok(['port', 'web', '8000']).stdout.trim();
    assert.equal(await get(`http://${published}/`), 'web got 42 from store; hits 1\n');
    ok(['down', '-v', '--timeout', '2']);
    assert.equal(docker(['ps', '-aq']), '');
    assert.equal(docker(['volume', 'ls', '-q']), '');
  });

  test('a service\'s runtime options reach its container: init, limits, ulimits, sysctls, hosts, device rules, a healthcheck a second service waits for, another\'s namespaces', () => {
    const dir = join(project, 'options');
    mkdirSync(dir);
    const v1 = !existsSync('/sys/fs/cgroup/cgroup.controllers');
    writeFileSync(join(dir, 'docker-compose.yml'), `version: "2.4"
services:
  main:
    image: ${busyboxImage}
    command: sh -c 'echo up; sleep 300'
    init: true
    cap_drop: [NET_RAW]
    tmpfs: [/scratch]
    sysctls: {net.core.somaxconn: "512"}
    ulimits: {nofile: {soft: 1000, hard: 2000}}
    extra_hosts: ["db.local:10.1.1.1"]
    shm_size: 32m
    mem_limit: 64m
    cpus: 0.5
    pids_limit: 100
    oom_score_adj: 100
    device_cgroup_rules: ['b 7:* r']
    healthcheck: {test: ["CMD", "true"], interval: 1s}
    hostname: mainhost
    working_dir: /tmp
    stop_grace_period: 1s
  side:
    image: ${busyboxImage}
    command: sleep 300
    network_mode: service:main
    pid: service:main
    depends_on:
      main: {condition: service_healthy}
`);
    const run = (args: string[]) => {
      const r = spawnSync('docker-compose', ['-p', 'opts', '--no-ansi', ...args], { cwd: dir, env: { ...process.env, ...d.env }, timeout: 180_000 });
      assert.equal(r.status, 0, `docker-compose ${args.join(' ')}: ${r.stdout.toString()}${r.stderr.toString()}`);
      return r.stdout.toString();
    };
    try {
      run(['up', '-d']);
      const probe = [
        `cat /sys/fs/cgroup/${v1 ? 'memory/memory.limit_in_bytes' : 'memory.max'}`, 'ulimit -n', 'cat /proc/sys/net/core/somaxconn', 'hostname', 'pwd',
        'grep db.local /etc/hosts', 'cat /proc/1/comm', 'df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2',
        'mknod /tmp/loop b 7 0 && dd if=/tmp/loop of=/dev/null count=1 2>/dev/null && echo device-read',
      ].join('; ');
      assert.deepEqual(run(['exec', '-T', 'main', 'sh', '-c', probe]).trim().split('\n'),
        ['67108864', '1000', '512', 'mainhost', '/tmp', '10.1.1.1\tdb.local', 'docker-init', '32768', 'device-read']);
      // The side container started once main was healthy, in main's network and pid namespaces.
      assert.match(run(['ps']), /opts_main_1 .*Up \(healthy\)/);
      assert.match(run(['exec', '-T', 'side', 'sh', '-c', 'hostname; ps -o comm']), /^mainhost\n[^]*docker-init/, 'main\'s host name comes with its network');
    } finally {
      run(['down', '-v', '--timeout', '1']);
    }
  });
});
