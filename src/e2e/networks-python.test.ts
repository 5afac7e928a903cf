/**
 * Issue 11's two-container app (slow: Debian's archive, ~40 s): a Python HTTP service in the
 * Debian image from `berth image bootstrap` (python3 installed by a `berth build` whose RUN step
 * downloads through the default bridge's NAT) that, on each request, queries a second container
 * (busybox httpd) by name on a user network; both started detached; the Python service reached
 * from the host through `-p 127.0.0.1::8000` and `berth port`. Then everything is removed and the
 * host's links, namespaces, firewall rules, leases and port claims are as before.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore, runStateDir } from './harness.js';
import { useDebianBase } from './debian-base.js';

const app = `import http.server, urllib.request

class Frontend(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        # By name, on every request: aardvark-dns answers for the user network.
        answer = urllib.request.urlopen('http://backend:8080/answer', timeout=10).read()
        body = b'frontend got: ' + answer
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(('', 8000), Frontend).serve_forever()
`;

describe('a two-container Python app on a user network', { timeout: 600_000 }, () => {
  let store: Store;
  let context: string;
  let stateDir: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 300_000 });
    context = mkdtempSync(join(tmpdir(), 'berth-python-app-'));
    stateDir = runStateDir(store.root);
  });
  after(() => {
    store.dispose();
    rmSync(context, { recursive: true, force: true });
  });
  const ok = (...args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr.slice(-3000)}`);
    return r.stdout;
  };
  const readJson = <T>(path: string, fallback: T): T => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch {
      return fallback;
    }
  };
  /** This store's veths, namespaces, firewall rules, leases and port claims. */
  function footprint() {
    const nets = (JSON.parse(ok('network', 'inspect', ...ok('network', 'ls', '-q').trim().split('\n'))) as { Id: string; IPAM: { Config: { Subnet: string }[] } }[])
      .filter((n) => n.IPAM.Config.length > 0);
    const subnets = nets.map((n) => n.IPAM.Config[0]?.Subnet as string);
    const bridges = nets.map((n) => readJson<{ bridge: string }>(join(store.root, 'networks', `${n.Id}.json`), { bridge: '' }).bridge);
    const links = (JSON.parse(spawnSync('ip', ['-j', 'link']).stdout.toString()) as { ifname: string; master?: string }[])
      .filter((l) => bridges.includes(l.master ?? '')).map((l) => l.ifname);
    const mentions = (text: string) => text.split('\n').filter((l) => subnets.some((s) => l.includes(s))).sort();
    const claims = readJson<{ ports: Record<string, { netns: string }> }>('/run/berth/network-claims/claims.json', { ports: {} });
    return {
      links,
      iptables: mentions(spawnSync('iptables-save').stdout?.toString() ?? ''),
      nft: mentions(spawnSync('nft', ['list', 'ruleset']).stdout?.toString() ?? ''),
      namespaces: existsSync(join(stateDir, 'netns')) ? readdirSync(join(stateDir, 'netns')) : [],
      leases: nets.flatMap((n) => Object.values(readJson<Record<string, string>>(join(store.root, 'networks', `${n.Id}.leases.json`), {}))),
      ports: Object.values(claims.ports).filter((c) => c.netns.startsWith(stateDir)).length,
    };
  }
  /** GET from the host, retried while the service starts (Python takes a moment). */
  async function get(url: string): Promise<string> {
    let last: unknown;
    for (let i = 0; i < 100; i++) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        if (response.ok) return await response.text();
        last = new Error(`HTTP ${response.status}: ${await response.text()}`);
      } catch (err) {
        last = err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw last;
  }

  test('a Python service queries a busybox service by name and answers the host through -p', async () => {
    useDebianBase(store);
    writeFileSync(join(context, 'app.py'), app);
    writeFileSync(join(context, 'Dockerfile'), [
      'FROM debian:bookworm-slim',
      'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*',
      'COPY app.py /app.py',
      'EXPOSE 8000',
      'CMD ["python3", "/app.py"]',
      '',
    ].join('\n'));
    ok('build', '-q', '-t', 'py-frontend', context);
    const before = footprint();
    assert.deepEqual([before.links, before.namespaces, before.leases, before.ports], [[], [], [], 0]);

    ok('network', 'create', 'app');
    ok('run', '-d', '--name', 'backend', '--network', 'app', busyboxImage, 'sh', '-c', 'mkdir -p /www && echo 42 > /www/answer && exec httpd -f -p 8080 -h /www');
    ok('run', '-d', '--name', 'frontend', '--network', 'app', '-p', '127.0.0.1::8000', 'py-frontend');
    const published = ok('port', 'frontend', '8000').trim();
    assert.match(published, /^127\.0\.0\.1:\d+$/);
    assert.equal(await get(`http://${published}/`), 'frontend got: 42\n');
    // Queried on every request: a new answer in the backend shows at once.
    ok('exec', 'backend', 'sh', '-c', 'echo 43 > /www/answer');
    assert.equal(await get(`http://${published}/`), 'frontend got: 43\n');
    const during = footprint();
    assert.equal(during.namespaces.length, 2);
    assert.equal(during.leases.length, 2);
    assert.equal(during.ports, 1);

    ok('rm', '-f', 'frontend', 'backend');
    ok('network', 'rm', 'app');
    await assert.rejects(fetch(`http://${published}/`, { signal: AbortSignal.timeout(5_000) }), 'the published port is gone');
    assert.deepEqual(footprint(), before);
  });
});
