import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';

import { ProgressDisplay, progressBar } from './progress-display.js';

function capture(terminal: boolean): { display: ProgressDisplay; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  Object.assign(out, { columns: 120 });
  return { display: new ProgressDisplay(out, terminal), text: () => Buffer.concat(chunks).toString() };
}

test('byte counts as the docker CLI draws them: bar over 110 columns, counts, time left', () => {
  assert.equal(progressBar(327_680, 30_010_000, 80), ' 327.7kB/30.01MB');
  assert.equal(progressBar(15_005_000, 30_010_000, 120), `[${'='.repeat(25)}>${' '.repeat(25)}]  15.01MB/30.01MB`);
  assert.equal(progressBar(15_005_000, 30_010_000, 120, 2000), `[${'='.repeat(25)}>${' '.repeat(25)}]  15.01MB/30.01MB 2s`);
  assert.equal(progressBar(30_010_000, 30_010_000, 120, 2000), `[${'='.repeat(50)}>]  30.01MB/30.01MB`);
  assert.equal(progressBar(0, 0, 120), '');
  assert.equal(progressBar(1_500_000, 0, 120), '   1.5MB');
});

test('without a terminal: one plain line per status, no byte counts, no escapes', () => {
  const { display, text } = capture(false);
  display.event({ status: '1: Pulling from app' });
  display.event({ id: 'aaa', status: 'Pulling fs layer' });
  display.event({ id: 'aaa', status: 'Downloading', current: 10, total: 100 });
  display.event({ id: 'aaa', status: 'Pull complete' });
  assert.equal(text(), '1: Pulling from app\naaa: Pulling fs layer\naaa: Pull complete\n');
});

test('on a terminal each layer keeps its line, redrawn in place as docker does', () => {
  const { display, text } = capture(true);
  display.event({ status: '1: Pulling from app' });
  display.event({ id: 'aaa', status: 'Pulling fs layer' });
  display.event({ id: 'bbb', status: 'Already exists' });
  display.event({ id: 'aaa', status: 'Downloading', current: 50, total: 100 });
  display.event({ id: 'aaa', status: 'Pull complete' });
  display.event({ status: 'Digest: sha256:x' });
  assert.equal(text(), [
    '1: Pulling from app\n',
    '\n\x1b[1A\x1b[2K\raaa: Pulling fs layer \r\x1b[1B',
    '\n\x1b[1A\x1b[2K\rbbb: Already exists \r\x1b[1B',
    `\x1b[2A\x1b[2K\raaa: Downloading [${'='.repeat(25)}>${' '.repeat(25)}]      50B/100B 0s\r\x1b[2B`,
    '\x1b[2A\x1b[2K\raaa: Pull complete \r\x1b[2B',
    'Digest: sha256:x\n',
  ].join(''));
});
