import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ago, durationSince } from './human.js';

test("durations in go-units' words: seconds and minutes cut down, hours rounded", () => {
  const now = Date.parse('2026-11-30T12:00:00.000Z');
  const words = (ms: number) => durationSince(now - ms, now);
  // Observed with dockerd 20.10: a container up 1.7 s is "Up 1 second", up 6 min 55 s "Up 6 minutes".
  assert.equal(words(1700), '1 second');
  assert.equal(words(415_000), '6 minutes');
  for (const [ms, text] of [
    [-3000, 'Less than a second'], [999, 'Less than a second'], [1999, '1 second'], [2000, '2 seconds'], [59_999, '59 seconds'],
    [60_000, 'About a minute'], [119_999, 'About a minute'], [120_000, '2 minutes'], [3_599_999, '59 minutes'],
    [3_600_000, 'About an hour'], [5_399_999, 'About an hour'], [5_400_000, '2 hours'], [47 * 3_600_000, '47 hours'],
    [48 * 3_600_000, '2 days'], [13 * 86_400_000, '13 days'], [14 * 86_400_000, '2 weeks'], [59 * 86_400_000, '8 weeks'],
    [60 * 86_400_000, '2 months'], [729 * 86_400_000, '24 months'], [730 * 86_400_000, '2 years'],
  ] as const) assert.equal(words(ms), text, `${ms} ms`);
  assert.equal(ago(new Date(now - 90_000).toISOString(), now), 'About a minute ago');
  assert.equal(ago('0001-01-01T00:00:00Z', now), 'N/A');
});
