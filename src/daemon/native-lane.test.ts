import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { containerSummaryView, durationSince, type ContainerRecord } from '../api/index.js';
import { renderLaneTemplate } from '../sys/index.js';
import { laneListing, laneMonitors, listingTemplate } from './native-lane.js';

const now = Date.parse('2026-11-30T12:00:00.000Z');

test("the native lane words durations as Node does (durationSince, go-units' HumanDuration)", () => {
  const edges = [0, 1, 999, 1000, 1999, 2000, 59_999, 60_000, 119_999, 120_000, 3_599_999, 3_600_000, 5_399_999, 5_400_000, 172_799_999, 172_800_000,
    14 * 86_400_000 - 1, 14 * 86_400_000, 60 * 86_400_000, 730 * 86_400_000, 731 * 86_400_000, 10 * 365 * 86_400_000, -5000];
  const check = (back: number) => {
    const since = now - back;
    assert.equal(renderLaneTemplate(Buffer.from(`<\x01${since}\x01>`), now), `<${durationSince(since, now)}>`, `${back} ms`);
    assert.equal(renderLaneTemplate(Buffer.from(`\x02${since}\x02`), now), `${durationSince(since, now)} ago`, `${back} ms ago`);
  };
  for (const back of edges) check(back);
  fc.assert(fc.property(fc.integer({ min: 0, max: 40 * 365 * 86_400_000 }), (back) => check(back)), { numRuns: 2000 });
});

type StateChange = { [K in keyof ContainerRecord['state']]?: ContainerRecord['state'][K] | undefined };

function record(name: string, state: StateChange, more: { labels?: Record<string, string>; network?: string } = {}): ContainerRecord {
  return {
    id: name.padEnd(64, '0'), name, image: 'busybox', imageId: `sha256:${'b'.repeat(64)}`, createdAt: '2026-11-30T10:00:00.000Z',
    config: { Hostname: name, Image: 'busybox', Cmd: ['sleep', '1 2'], Labels: more.labels ?? {} },
    hostConfig: { networkMode: more.network ?? 'default', binds: [{ type: 'volume', source: 'data', target: '/data', readonly: false }] },
    snapshotKey: name,
    state: { status: 'running', pid: 10, exitCode: 0, oomKilled: false, error: '', startedAt: '2026-11-30T11:58:00.000Z', finishedAt: '0001-01-01T00:00:00Z', supervisor: { pid: 100, startTime: 7 }, ...state },
  } as ContainerRecord;
}

test("a listing template renders to the list route's answer, whatever the containers hold", () => {
  const records = [
    record('up', {}, { labels: { Status: 'a "Status": label', ctl: '\x01\x02 x', utf: 'é✓' } }),
    record('healthy', { health: { status: 'healthy', failingStreak: 0, log: [] } }, { network: 'Status' }),
    record('starting', { health: { status: 'starting', failingStreak: 0, log: [] } }),
    record('paused', { status: 'paused' }),
    record('restarting', { status: 'restarting', exitCode: 137, finishedAt: '2026-11-30T11:59:58.500Z' }),
    record('exited', { status: 'exited', exitCode: 3, finishedAt: '2026-11-28T11:59:58.500Z', supervisor: undefined }),
    record('no-time', { startedAt: 'garbage' }),
  ];
  const root = '/var/lib/berth';
  for (const at of [now, now + 999, now + 61_000, now + 7 * 86_400_000]) {
    const expected = JSON.stringify(records.map((c) => containerSummaryView(c, { storeRoot: root, now: at }))) + '\n';
    assert.equal(renderLaneTemplate(listingTemplate(records, root), at), expected);
  }
  assert.equal(renderLaneTemplate(listingTemplate([], root), now), '[]\n');
});

test('a listing is published only between equal stamps, and only when its monitors are all it depends on', () => {
  const stamp = { path: '/s/metadata/containers', stamp: '1:2:3:4' };
  const up = record('up', {});
  assert.deepEqual(laneMonitors([up, record('paused', { status: 'paused', supervisor: { pid: 5, startTime: 6 } })]), [{ pid: 100, startTime: 7 }, { pid: 5, startTime: 6 }]);
  assert.equal(laneListing([up], '/s', { before: stamp, after: stamp })?.stamp, '1:2:3:4');
  assert.equal(laneListing([up], '/s', { before: stamp, after: { ...stamp, stamp: '1:2:3:5' } }), undefined, 'changed while listing');
  assert.equal(laneListing([up], '/s', { before: undefined, after: stamp }), undefined, 'too recent to trust');
  for (const pending of [{ starting: { pid: 1, startTime: 1 } }, { committing: { pid: 1, startTime: 1 } }, { removing: { pid: 1, startTime: 1 } }, { supervisor: undefined }]) {
    assert.equal(laneListing([up, record('x', pending)], '/s', { before: stamp, after: stamp }), undefined, JSON.stringify(pending));
  }
});
