/**
 * `berth events`: what a scripted session did, in order, from the store's event log — written by
 * the commands themselves and by the monitor's clean-up (`die` of a detached container with no
 * berth process attached). Shapes are dockerd 20.10's; the observed lines are in core/events's unit
 * test, this one from the same session:
 *   2026-11-30T01:45:10.146566225Z container die e851…f6cd (exitCode=3, image=berth-test/format:1, k=v, name=cli10ev)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

const line = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}(Z|[+-]\d{2}:\d{2}) (\w+) (\w+) (\S+)(?: \((.*)\))?$/;

describe('events', () => {
  let store: Store;
  let start: string;
  let mid: string;
  let end: string;
  let detachedId: string;
  before(() => {
    store = createStore({ withBusybox: true });
    const ok = (args: string[]) => {
      const r = store.berth(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    start = (Date.now() / 1000).toFixed(9);
    assert.equal(store.berth(['run', '--name', 'ev1', '--label', 'k=v', busyboxImage, 'sh', '-c', 'exit 3']).code, 3);
    ok(['create', '--name', 'ev2', busyboxImage, 'sleep', '100']);
    ok(['start', 'ev2']);
    ok(['pause', 'ev2']);
    ok(['unpause', 'ev2']);
    ok(['kill', '-s', 'USR1', 'ev2']);
    mid = (Date.now() / 1000).toFixed(9);
    ok(['stop', '-t', '1', 'ev2']);
    ok(['rename', 'ev2', 'ev3']);
    ok(['rm', 'ev1', 'ev3']);
    ok(['tag', busyboxImage, 'ev/x:1']);
    ok(['rmi', 'ev/x:1']);
    ok(['volume', 'create', 'evvol']);
    ok(['volume', 'rm', 'evvol']);
    // Exits under its monitor alone: the monitor's clean-up records the die.
    detachedId = ok(['run', '-d', '--name', 'ev4', busyboxImage, 'sh', '-c', 'exit 5']);
    assert.equal(ok(['wait', 'ev4']), '5');
    end = (Date.now() / 1000).toFixed(9);
  });
  after(() => store?.dispose());

  const parse = (stdout: string) => stdout.split('\n').filter(Boolean).map((l) => {
    const m = line.exec(l);
    assert.ok(m, `not Docker's event line: ${l}`);
    return { type: m[2], action: m[3], id: m[4], attrs: m[5] ?? '' };
  });

  test('the session\'s events, in order, in Docker\'s default line', () => {
    const r = store.berth(['events', '--since', start, '--until', end]);
    assert.equal(r.code, 0, r.stderr);
    const events = parse(r.stdout);
    assert.deepEqual(events.map((e) => `${e.type} ${e.action}`), [
      'container create', 'container start', 'container die', 'container create', 'container start', 'container pause', 'container unpause',
      'container kill', 'container kill', 'container kill', 'container die', 'container stop', 'container rename', 'container destroy', 'container destroy',
      'image tag', 'image untag', 'volume create', 'volume destroy', 'container create', 'container start', 'container die',
    ]);
    assert.match(events[0]!.attrs, /^image=berth-test\/busybox:1, k=v, name=ev1$/);
    assert.equal(events[2]!.attrs, 'exitCode=3, image=berth-test/busybox:1, k=v, name=ev1');
    assert.deepEqual(events.filter((e) => e.action === 'kill').map((e) => / signal=(\d+)/.exec(e.attrs)?.[1]), ['10', '15', '9']);
    assert.equal(events[10]!.attrs, 'exitCode=137, image=berth-test/busybox:1, name=ev2');
    assert.equal(events[12]!.attrs, 'image=berth-test/busybox:1, name=ev3, oldName=/ev2');
    assert.equal(events[15]!.attrs, 'name=ev/x:1');
    assert.equal(events[17]!.id, 'evvol');
    assert.equal(events[17]!.attrs, 'driver=local');
    assert.deepEqual(events.at(-1), { type: 'container', action: 'die', id: detachedId, attrs: 'exitCode=5, image=berth-test/busybox:1, name=ev4' });
  });

  test('--since/--until bound the range; without either nothing past is shown', () => {
    const before = parse(store.berth(['events', '--since', start, '--until', mid]).stdout);
    assert.equal(before.at(-1)?.action, 'kill');
    assert.equal(before.length, 8);
    const afterMid = parse(store.berth(['events', '--since', mid, '--until', end]).stdout);
    assert.equal(afterMid[0]?.action, 'kill');
    assert.equal(before.length + afterMid.length, 22);
    // A duration: everything of the last hour.
    assert.equal(parse(store.berth(['events', '--since', '1h', '--until', end]).stdout).length, 24); // + the busybox import (tag and import, as dockerd)
    // --until alone: all logged events up to then (Docker's behaviour).
    assert.equal(parse(store.berth(['events', '--until', mid]).stdout).length, 10); // 8 + the busybox import's tag and import
    const bad = store.berth(['events', '--since', 'bogus', '--until', end]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /failed to parse value as time or duration: "bogus"/);
  });

  test('--filter: keys AND-ed, values OR-ed; an unknown key is refused', () => {
    const dies = parse(store.berth(['events', '--since', start, '--until', end, '--filter', 'type=container', '--filter', 'event=die', '--filter', 'event=destroy']).stdout);
    assert.deepEqual(dies.map((e) => e.action), ['die', 'die', 'destroy', 'destroy', 'die']);
    const ev2 = parse(store.berth(['events', '--since', start, '--until', end, '-f', 'container=ev2']).stdout);
    assert.deepEqual(ev2.map((e) => e.action), ['create', 'start', 'pause', 'unpause', 'kill', 'kill', 'kill', 'die', 'stop']);
    const labelled = parse(store.berth(['events', '--since', start, '--until', end, '--filter', 'label=k=v']).stdout);
    assert.equal(labelled.length, 4);
    // The untag event names the image by its id (as dockerd 20.10 does), so only the tag matches the name.
    assert.deepEqual(parse(store.berth(['events', '--since', start, '--until', end, '--filter', 'image=ev/x']).stdout).map((e) => e.action), ['tag']);
    assert.deepEqual(parse(store.berth(['system', 'events', '--since', start, '--until', end, '--filter', 'volume=evvol']).stdout).map((e) => e.action), ['create', 'destroy']);
    const unknown = store.berth(['events', '--since', start, '--until', end, '--filter', 'foo=bar']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Invalid filter 'foo'/);
  });

  test('--format: Go templates on events.Message\'s fields, json as the Engine API sends it', () => {
    const r = store.berth(['events', '--since', start, '--until', mid, '--filter', 'event=create', '--format', '{{.Status}} {{.From}} {{.Actor.Attributes.name}} {{.Scope}} {{printf "%T" .TimeNano}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'create berth-test/busybox:1 ev1 local int\ncreate berth-test/busybox:1 ev2 local int\n');
    const json = store.berth(['events', '--since', start, '--until', mid, '--filter', 'event=die', '--format', 'json']);
    const text = json.stdout.trim();
    // Keys in dockerd's order (observed: status, id, from, Type, Action, Actor, scope, time, timeNano).
    assert.deepEqual(Object.keys(JSON.parse(text) as object), ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']);
    const m = /"time":(\d+),"timeNano":(\d{19})\}$/.exec(text);
    assert.ok(m, text);
    assert.equal(m[2]!.slice(0, 10), m[1]);
    const broken = store.berth(['events', '--since', start, '--until', mid, '--format', '{{.Foo']);
    assert.equal(broken.code, 64);
    assert.match(broken.stderr, /^Error parsing format: template: :1: unclosed action\n$/);
    const missing = store.berth(['events', '--since', start, '--until', mid, '--format', '{{.Foo}}']);
    assert.equal(missing.code, 64);
    assert.match(missing.stderr, /can't evaluate field Foo in type \*events.Message/);
  });

  test('without --until it follows new events until interrupted', async () => {
    const child = store.spawnBerth(['events', '--filter', 'type=volume']);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(store.berth(['volume', 'create', 'followed']).code, 0);
    for (let i = 0; i < 100 && !out.includes('\n'); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    await new Promise((r) => child.on('exit', r));
    assert.match(out, /^\S+ volume create followed \(driver=local\)\n$/);
  });
});
