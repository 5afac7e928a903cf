import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatGoDuration, parseGoDuration } from './duration.js';

test('parseGoDuration reads Go durations in nanoseconds and refuses the rest', () => {
  assert.equal(parseGoDuration('1m30s'), 90e9);
  assert.equal(parseGoDuration('200ms'), 200e6);
  assert.equal(parseGoDuration('1.5h'), 5400e9);
  assert.equal(parseGoDuration('-1s'), -1e9);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('10'), undefined);
  assert.equal(parseGoDuration('xx'), undefined);
  assert.equal(parseGoDuration(''), undefined);
});

test('formatGoDuration writes what Go\'s Duration.String writes', () => {
  assert.equal(formatGoDuration(0), '0s');
  assert.equal(formatGoDuration(300e6), '300ms');
  assert.equal(formatGoDuration(1.5e9), '1.5s');
  assert.equal(formatGoDuration(30e9), '30s');
  assert.equal(formatGoDuration(90e9), '1m30s');
  assert.equal(formatGoDuration(7200e9), '2h0m0s');
  assert.equal(formatGoDuration(1500), '1.5µs');
  assert.equal(formatGoDuration(12), '12ns');
  assert.equal(formatGoDuration(-2e9), '-2s');
});
