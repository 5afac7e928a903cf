import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { HealthLogEntry, HealthState } from './health.js';
import { applyProbeResult, healthSettings, mergeHealthcheck, startingHealth, validateHealthcheck } from './health.js';

const startedAt = '2024-01-01T00:00:00.000Z';
const at = (ms: number, exitCode: number, output = ''): HealthLogEntry => {
  const start = new Date(Date.parse(startedAt) + ms).toISOString();
  return { start, end: start, exitCode, output };
};
const run = (results: HealthLogEntry[], context = { retries: 2, startPeriodNs: 0, startedAt }, from: HealthState = startingHealth(undefined)) =>
  results.reduce((h, r) => applyProbeResult(h, r, context), from);

test('a success makes a starting container healthy with no failing streak', () => {
  const h = run([at(100, 0, 'ok\n')]);
  assert.equal(h.status, 'healthy');
  assert.equal(h.failingStreak, 0);
  assert.deepEqual(h.log, [at(100, 0, 'ok\n')]);
});

test('`retries` failures in a row make it unhealthy; fewer keep the status it had', () => {
  const one = run([at(100, 0), at(200, 1)]);
  assert.equal(one.status, 'healthy');
  assert.equal(one.failingStreak, 1);
  const two = applyProbeResult(one, at(300, 1), { retries: 2, startPeriodNs: 0, startedAt });
  assert.equal(two.status, 'unhealthy');
  assert.equal(two.failingStreak, 2);
  const back = applyProbeResult(two, at(400, 0), { retries: 2, startPeriodNs: 0, startedAt });
  assert.deepEqual([back.status, back.failingStreak], ['healthy', 0]);
  // A starting container fails its way to unhealthy too (no start period).
  assert.equal(run([at(100, 1)]).status, 'starting');
  assert.equal(run([at(100, 1), at(200, -1)]).status, 'unhealthy');
});

test('retries 0 means Docker\'s default of 3', () => {
  const context = { retries: 0, startPeriodNs: 0, startedAt };
  assert.equal(run([at(1, 1), at(2, 1)], context).status, 'starting');
  assert.equal(run([at(1, 1), at(2, 1), at(3, 1)], context).status, 'unhealthy');
});

test('failures within the start period do not count while starting; after a success they do', () => {
  const context = { retries: 1, startPeriodNs: 1e9, startedAt };
  const early = run([at(100, 1), at(500, 1), at(900, 1)], context);
  assert.deepEqual([early.status, early.failingStreak, early.log.length], ['starting', 0, 3]);
  assert.equal(run([at(1000, 1)], context).status, 'unhealthy');
  const healthy = run([at(100, 0), at(200, 1)], context);
  assert.deepEqual([healthy.status, healthy.failingStreak], ['unhealthy', 1]);
});

test('the log keeps the last five results, oldest first', () => {
  const h = run([1, 2, 3, 4, 5, 6, 7].map((n) => at(n * 100, n % 2, String(n))));
  assert.deepEqual(h.log.map((e) => e.output), ['3', '4', '5', '6', '7']);
});

test('a restart starts over from starting, keeping the log', () => {
  const h = startingHealth(run([at(1, 1), at(2, 1)]));
  assert.deepEqual([h.status, h.failingStreak, h.log.length], ['starting', 0, 2]);
});

test('healthSettings: CMD runs its argv, CMD-SHELL the shell, NONE and empty tests nothing; Docker\'s defaults', () => {
  assert.deepEqual(healthSettings({ Healthcheck: { Test: ['CMD', '/bin/check', '-q'] } }), {
    argv: ['/bin/check', '-q'], intervalNs: 30e9, timeoutNs: 30e9, startPeriodNs: 0, startIntervalNs: 5e9, retries: 3,
  });
  assert.deepEqual(healthSettings({ Healthcheck: { Test: ['CMD-SHELL', 'test -f /x'], Interval: 2e8, Retries: 2 } })?.argv, ['/bin/sh', '-c', 'test -f /x']);
  assert.deepEqual(healthSettings({ Healthcheck: { Test: ['CMD-SHELL', 'x'] }, Shell: ['/bin/bash', '-ec'] })?.argv, ['/bin/bash', '-ec', 'x']);
  assert.equal(healthSettings({ Healthcheck: { Test: ['CMD-SHELL', 'x'], Interval: 2e8 } })?.intervalNs, 2e8);
  assert.equal(healthSettings({ Healthcheck: { Test: ['NONE'] } }), undefined);
  assert.equal(healthSettings({ Healthcheck: { Test: [] } }), undefined);
  assert.equal(healthSettings({}), undefined);
});

test('mergeHealthcheck fills the container\'s empty fields from the image, as Docker does', () => {
  const image = { Test: ['CMD', '/nonexistent', 'x'], Interval: 3e8 };
  assert.deepEqual(mergeHealthcheck(image, { Retries: 5 }), { Test: ['CMD', '/nonexistent', 'x'], Interval: 3e8, Retries: 5 });
  assert.deepEqual(mergeHealthcheck(image, { Test: ['NONE'] }), { Test: ['NONE'], Interval: 3e8 });
  assert.deepEqual(mergeHealthcheck(image, undefined), image);
  assert.deepEqual(mergeHealthcheck(undefined, { Test: ['CMD-SHELL', 'x'] }), { Test: ['CMD-SHELL', 'x'] });
});

test('validateHealthcheck refuses what the daemon refuses', () => {
  assert.throws(() => validateHealthcheck({ Interval: 100e3 }), /Interval in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthcheck({ Timeout: 1 }), /Timeout in Healthcheck cannot be less than 1ms/);
  assert.throws(() => validateHealthcheck({ Retries: -1 }), /Retries in Healthcheck cannot be negative/);
  validateHealthcheck({ Interval: 0, Timeout: 1e6, Retries: 0 });
});
