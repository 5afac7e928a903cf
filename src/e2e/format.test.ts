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
    assert.match(imageOnly.stderr, /No such object: fmt-exited/);
    const unknown = store.berth(['container', 'bogus']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown command "berth container bogus"/);
  });
});
