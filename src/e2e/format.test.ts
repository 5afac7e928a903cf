/**
 * `--format` on ps, images and inspect, as scripts written for the docker CLI use it. Exit codes and
 * message prefixes of broken templates are the docker CLI's (recorded in test/fixtures/format).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

describe('--format', () => {
  let store: Store;
  before(() => {
    store = createStore({ withBusybox: true });
    assert.equal(store.berth(['run', '--name', 'fmt-exited', busyboxImage, 'sh', '-c', 'exit 3']).code, 3);
  });
  after(() => store.dispose());

  test('inspect -f reads fields, and exits 64 on a template that does not parse, 1 on one that fails', () => {
    const r = store.berth(['inspect', '-f', '{{.State.ExitCode}} {{.Name}} {{json .Config.Cmd}}', 'fmt-exited']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '3 /fmt-exited ["sh","-c","exit 3"]\n');
    const broken = store.berth(['inspect', '-f', '{{.State', 'fmt-exited']);
    assert.equal(broken.code, 64);
    assert.match(broken.stderr, /^template parsing error: template: :1: unclosed action\n$/);
    const missing = store.berth(['inspect', '-f', '{{.State.Nope}}', 'fmt-exited']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '\n');
    assert.match(missing.stderr, /map has no entry for key "Nope"/);
  });

  test('ps --format and a table of chosen columns', () => {
    const names = store.berth(['ps', '-a', '--format', '{{.Names}}\t{{.State}}']);
    assert.equal(names.code, 0, names.stderr);
    assert.equal(names.stdout, 'fmt-exited\texited\n');
    const tableOut = store.berth(['ps', '-a', '--format', 'table {{.Names}}\t{{.Status}}']);
    assert.match(tableOut.stdout, /^NAMES\s{3,}STATUS\nfmt-exited\s{3,}Exited \(3\) /);
    const json = store.berth(['ps', '-a', '--format', 'json']);
    const row = JSON.parse(json.stdout.trim()) as { Names: string; State: string };
    assert.deepEqual([row.Names, row.State], ['fmt-exited', 'exited']);
    const bad = store.berth(['ps', '-a', '--format', '{{.Nope}}']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^failed to execute template: .*can't evaluate field Nope in type \*formatter\.ContainerContext/);
  });

  // Messages and exit codes observed with docker 20.10: unknown keys and values come from the daemon
  // (exit 1), a filter without `=` from the CLI's flag parsing (exit 125).
  test('ps --filter: status, name, exited, label, id, ancestor, before; combined keys must all match', () => {
    assert.equal(store.berth(['run', '-d', '--name', 'fmt-up', '--label', 'tier=web', '--network', 'none', busyboxImage, 'sleep', '100']).code, 0);
    try {
      const names = (...filters: string[]) => store.berth(['ps', '-a', '--format', '{{.Names}}', ...filters.flatMap((f) => ['--filter', f])]).stdout.trim().split('\n').filter(Boolean).sort();
      assert.deepEqual(names('status=exited'), ['fmt-exited']);
      assert.deepEqual(store.berth(['ps', '--filter', 'status=exited', '--format', '{{.Names}}']).stdout, 'fmt-exited\n', 'a status filter shows what it names without -a');
      assert.deepEqual(names('status=running'), ['fmt-up']);
      assert.deepEqual(names('status=running', 'status=exited'), ['fmt-exited', 'fmt-up'], 'values of one key are alternatives');
      assert.deepEqual(names('name=up$'), ['fmt-up']);
      assert.deepEqual(names('exited=3'), ['fmt-exited']);
      assert.deepEqual(names('exited=0'), []);
      assert.deepEqual(names('label=tier'), ['fmt-up']);
      assert.deepEqual(names('label=tier=db'), []);
      assert.deepEqual(names('label=tier', 'status=exited'), [], 'different keys must all match');
      assert.deepEqual(names(`ancestor=${busyboxImage}`), ['fmt-exited', 'fmt-up']);
      assert.deepEqual(names('before=fmt-up'), ['fmt-exited']);
      const id = store.berth(['inspect', '-f', '{{.Id}}', 'fmt-up']).stdout.slice(0, 6);
      assert.deepEqual(names(`id=${id}`), ['fmt-up']);
      for (const [filter, code, message] of [
        ['foo=bar', 1, "Invalid filter 'foo'"], ['status=foo', 1, "Invalid filter 'status=foo'"],
        ['exited=x', 1, 'strconv.Atoi: parsing "x": invalid syntax'], ['health=x', 1, 'Unrecognised filter value for health: x'],
        ['badformat', 125, 'invalid argument "badformat" for "-f, --filter" flag: bad format of filter (expected name=value)'],
      ] as const) {
        const r = store.berth(['ps', '--filter', filter]);
        assert.equal(r.code, code, filter);
        assert.ok(r.stderr.includes(message), `${filter}: ${r.stderr}`);
      }
      assert.equal(store.berth(['ps', '--bogus']).code, 125, 'an unknown flag is a usage error');
    } finally {
      store.berth(['rm', '-f', 'fmt-up']);
    }
  });

  test('images --format, as in `docker images --format "{{.Repository}}:{{.Tag}}" | grep`', () => {
    const r = store.berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^berth-test\/busybox:1$/m);
  });

  test('management commands are the commands they name: container ls, container inspect, image ls, image inspect', () => {
    assert.equal(store.berth(['container', 'ls', '-a', '--format', '{{.Names}}']).stdout, 'fmt-exited\n');
    assert.equal(store.berth(['container', 'inspect', '-f', '{{.Name}}', 'fmt-exited']).stdout, '/fmt-exited\n');
    assert.match(store.berth(['image', 'ls', '--format', '{{.Repository}}']).stdout, /^berth-test\/busybox$/m);
    const imageOnly = store.berth(['image', 'inspect', 'fmt-exited']);
    assert.equal(imageOnly.code, 1, 'image inspect does not find containers');
    // The docker 28 CLI against dockerd 20.10 (test/fixtures/cli/errors.json).
    assert.equal(imageOnly.stderr, 'Error response from daemon: no such image: fmt-exited: No such image: fmt-exited:latest\n');
    const unknown = store.berth(['container', 'bogus']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^berth: unknown command: berth container bogus\n/);
    // Docker's commands berth does not have say why, whatever their flags.
    const search = store.berth(['search', '--limit', '5', 'nginx']);
    assert.equal(search.code, 1);
    assert.match(search.stderr, /^berth: Searching a registry is not supported by berth: registries serve no search API/);
    for (const line of [['swarm', 'init'], ['service', 'ls', '--format', '{{.Name}}'], ['stack', 'deploy', '-c', 'x.yml', 's']]) {
      const r = store.berth(line);
      assert.equal(r.code, 1, line.join(' '));
      assert.match(r.stderr, /^berth: This node is not a swarm manager: berth is a single-host engine and has no swarm mode\n$/, line.join(' '));
    }
  });
});
