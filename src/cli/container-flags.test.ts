import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseArgs } from './args.js';
import { containerFlags, healthcheckFlags } from './container-flags.js';

const health = (...argv: string[]) => healthcheckFlags(parseArgs(argv, containerFlags, { command: 'run' }));

test('--health-* flags make a Healthcheck of the fields given, in nanoseconds; --health-cmd is CMD-SHELL', () => {
  assert.equal(health(), undefined);
  assert.deepEqual(health('--health-cmd', 'test -f /x', '--health-interval', '200ms', '--health-retries', '2'), {
    Test: ['CMD-SHELL', 'test -f /x'], Interval: 200e6, Retries: 2,
  });
  assert.deepEqual(health('--health-timeout=1m30s', '--health-start-period', '1s', '--health-start-interval', '50ms'), {
    Timeout: 90e9, StartPeriod: 1e9, StartInterval: 50e6,
  });
  assert.deepEqual(health('--no-healthcheck'), { Test: ['NONE'] });
});

test('--health-* flags refuse what docker refuses, with its messages', () => {
  assert.throws(() => health('--no-healthcheck', '--health-retries', '2'), /--no-healthcheck conflicts with --health-\* options/);
  assert.throws(() => health('--no-healthcheck', '--health-cmd', 'true'), /conflicts/);
  assert.throws(() => health('--health-interval=-1s'), /--health-interval cannot be negative/);
  assert.throws(() => health('--health-timeout=xx'), /invalid argument "xx" for "--health-timeout" flag: time: invalid duration "xx"/);
  assert.throws(() => health('--health-retries=-2'), /--health-retries cannot be negative/);
  assert.throws(() => health('--health-retries=x'), /invalid argument "x" for "--health-retries" flag/);
});
