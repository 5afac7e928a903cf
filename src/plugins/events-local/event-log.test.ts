import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { decodeEvent, makeEvent } from '../../core/events/index.js';
import type { EventMessage } from '../../core/events/index.js';
import { createLocalEventLog } from './index.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-events-'));
  dirs.push(dir);
  return dir;
};

async function collect(iterable: AsyncIterable<EventMessage>): Promise<EventMessage[]> {
  const out: EventMessage[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

/** Appends `count` events from a separate process, each with `pad` bytes of attributes. */
function writer(dir: string, tag: string, count: number, pad: number, maxBytes?: number): Promise<number> {
  const script = `
    const { createLocalEventLog } = await import(${JSON.stringify(join(import.meta.dirname, 'index.js'))});
    const { makeEvent } = await import(${JSON.stringify(join(import.meta.dirname, '../../core/events/index.js'))});
    const log = createLocalEventLog(${JSON.stringify(dir)}, { ${maxBytes !== undefined ? `maxBytes: ${maxBytes}, ` : ''}warn: (m) => { console.error(m); process.exit(3); } });
    for (let i = 0; i < ${count}; i++) log.append(makeEvent('container', 'start', ${JSON.stringify(tag)}, { seq: String(i), pad: 'x'.repeat(${pad}) }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

describe('local event log', () => {
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('two concurrent writers: every line whole, each writer\'s events in its order', async () => {
    const dir = tempDir();
    // Lines of about 3.9 KiB: under PIPE_BUF, as big as berth's events get with many labels.
    const codes = await Promise.all([writer(dir, 'a', 1500, 3800, 64 << 20), writer(dir, 'b', 1500, 3800, 64 << 20)]);
    assert.deepEqual(codes, [0, 0]);
    const lines = readFileSync(join(dir, 'events.log'), 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 3000);
    const next: Record<string, number> = { a: 0, b: 0 };
    let switches = 0;
    let last = '';
    for (const line of lines) {
      const event = decodeEvent(line);
      assert.ok(event, `a torn line: ${line.slice(0, 80)}...`);
      const id = event.Actor.ID;
      assert.equal(event.Actor.Attributes.seq, String(next[id]));
      next[id] = (next[id] ?? 0) + 1;
      if (id !== last) switches++;
      last = id;
    }
    // The writers really ran at the same time (their lines alternate somewhere).
    assert.ok(switches > 2, `writers did not overlap (${switches} switches)`);
  });

  test('rotation keeps the log bounded and the newest events readable in order, also under concurrent writers', async () => {
    const dir = tempDir();
    const maxBytes = 64 * 1024;
    const codes = await Promise.all([writer(dir, 'a', 2000, 200, maxBytes), writer(dir, 'b', 2000, 200, maxBytes)]);
    assert.deepEqual(codes, [0, 0]);
    const size = statSync(join(dir, 'events.log')).size;
    const previous = statSync(join(dir, 'events.log.1')).size;
    assert.ok(size <= maxBytes + 1024 && previous <= maxBytes + 1024, `${size} ${previous}`);
    const log = createLocalEventLog(dir, { maxBytes });
    const events = await collect(log.stream({ since: 0n, follow: false }));
    assert.ok(events.length > 100);
    // The newest events are kept (the very last one written among them), each writer's in order.
    const last = events.at(-1);
    assert.equal(last?.Actor.Attributes.seq, '1999');
    for (const id of ['a', 'b']) {
      const seqs = events.filter((e) => e.Actor.ID === id).map((e) => Number(e.Actor.Attributes.seq));
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    }
  });

  test('since and until select logged events; none without either; follow delivers new ones', async () => {
    const dir = tempDir();
    const log = createLocalEventLog(dir);
    log.append(makeEvent('volume', 'create', 'v1', { driver: 'local' }, 1_000_000_000_000_000_000n));
    log.append(makeEvent('volume', 'create', 'v2', { driver: 'local' }, 2_000_000_000_000_000_000n));
    log.append(makeEvent('volume', 'create', 'v3', { driver: 'local' }, 3_000_000_000_000_000_000n));
    const ids = (events: EventMessage[]) => events.map((e) => e.Actor.ID);
    assert.deepEqual(ids(await collect(log.stream({ since: 2_000_000_000_000_000_000n, follow: false }))), ['v2', 'v3']);
    assert.deepEqual(ids(await collect(log.stream({ until: 2_000_000_000_000_000_000n, follow: false }))), ['v1', 'v2']);
    assert.deepEqual(ids(await collect(log.stream({ follow: false }))), []);
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const e of log.stream({ follow: true, signal: controller.signal, pollMs: 10 })) {
        seen.push(e.Actor.ID);
        if (seen.length === 2) controller.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    log.append(makeEvent('volume', 'destroy', 'v4', { driver: 'local' }));
    log.append(makeEvent('volume', 'destroy', 'v5', { driver: 'local' }));
    await following;
    assert.deepEqual(seen, ['v4', 'v5']);
  });
});
