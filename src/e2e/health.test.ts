import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { busyboxImage, createStore } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Health = { Status: string; FailingStreak: number; Log: { Start: string; End: string; ExitCode: number; Output: string }[] };
type View = { State: { Status: string; Health?: Health }; Config: { Healthcheck?: Record<string, unknown> } };

// Health checks run by each container's monitor (`berth container healthcheck`), with no berth
// process staying behind: Docker's states, streaks, log and ps status.
describe('health checks', () => {
  let store: Store;
  let context: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
    context = mkdtempSync(join(tmpdir(), 'berth-health-ctx-'));
  });
  after(() => {
    store.dispose();
    rmSync(context, { recursive: true, force: true });
  });

  const inspect = (name: string) => {
    const r = store.berth(['inspect', '--type', 'container', name]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as View[])[0] as View;
  };
  const health = (name: string) => inspect(name).State.Health as Health;
  const psStatus = (name: string) => store.berth(['ps', '-a', '--format', '{{.Names}}|{{.Status}}']).stdout
    .split('\n').find((l) => l.startsWith(`${name}|`))?.split('|')[1] ?? '';
  const ok = (args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (check()) return;
    assert.fail(`timed out waiting until ${what}`);
  }

  test('a container turns healthy, unhealthy after the retries, and healthy again; inspect and ps show it', async () => {
    ok(['run', '-d', '--name', 'web', '--health-cmd', 'echo probe-out; test -f /tmp/ok', '--health-interval', '200ms', '--health-retries', '2', busyboxImage, 'sleep', '1000']);
    const config = inspect('web').Config.Healthcheck;
    assert.deepEqual(config, { Test: ['CMD-SHELL', 'echo probe-out; test -f /tmp/ok'], Interval: 200e6, Retries: 2 });
    const first = health('web');
    assert.equal(first.Status, 'starting');
    assert.ok(first.FailingStreak <= 1, JSON.stringify(first));

    await until('unhealthy without the file', () => health('web').Status === 'unhealthy');
    const failing = health('web');
    assert.ok(failing.FailingStreak >= 2, JSON.stringify(failing));
    assert.ok(failing.Log.length >= 2 && failing.Log.length <= 5);
    for (const e of failing.Log) {
      assert.equal(e.ExitCode, 1);
      assert.equal(e.Output, 'probe-out\n');
      assert.ok(Date.parse(e.End) >= Date.parse(e.Start), JSON.stringify(e));
    }
    assert.match(psStatus('web'), /^Up .* \(unhealthy\)$/);

    ok(['exec', 'web', 'touch', '/tmp/ok']);
    await until('healthy once the file is there', () => health('web').Status === 'healthy');
    const healthy = health('web');
    assert.equal(healthy.FailingStreak, 0);
    assert.equal(healthy.Log.at(-1)?.ExitCode, 0);
    assert.match(psStatus('web'), /^Up .* \(healthy\)$/);

    ok(['exec', 'web', 'rm', '/tmp/ok']);
    await until('unhealthy again after two failed probes', () => health('web').Status === 'unhealthy');
    assert.ok(health('web').FailingStreak >= 2);
    await until('the log to fill up', () => health('web').Log.length === 5 && health('web').FailingStreak >= 5);
    await sleep(600);
    assert.equal(health('web').Log.length, 5, 'the log keeps the last five results');

    ok(['exec', 'web', 'touch', '/tmp/ok']);
    await until('healthy again', () => health('web').Status === 'healthy');

    // Stopped: Docker's "unhealthy"; started again: starting over, the old results kept.
    ok(['stop', '-t', '1', 'web']);
    assert.equal(health('web').Status, 'unhealthy');
    assert.match(psStatus('web'), /^Exited/);
    ok(['start', 'web']);
    const restarted = health('web');
    // Reset to starting (the "unhealthy" of the stop is not carried over). With probes every
    // 200 ms a loaded machine may already have run one, which passes: the file is in the layer.
    assert.ok(restarted.Status === 'starting' || (restarted.Status === 'healthy' && restarted.Log.at(-1)?.ExitCode === 0), JSON.stringify(restarted));
    assert.equal(restarted.FailingStreak, 0);
    assert.ok(restarted.Log.length > 0);
    await until('healthy after the restart (the file is in the container\'s layer)', () => health('web').Status === 'healthy');
    ok(['rm', '-f', 'web']);
  });

  test('a probe that runs past --health-timeout is killed and counts as a failure', async () => {
    ok(['run', '-d', '--name', 'slow', '--health-cmd', 'sleep 30', '--health-timeout', '300ms', '--health-interval', '200ms', '--health-retries', '1', busyboxImage, 'sleep', '1000']);
    await until('unhealthy after a timed-out probe', () => health('slow').Status === 'unhealthy');
    const entry = health('slow').Log[0];
    assert.ok(entry);
    assert.equal(entry.ExitCode, -1);
    assert.equal(entry.Output, 'Health check exceeded timeout (300ms)');
    const took = Date.parse(entry.End) - Date.parse(entry.Start);
    assert.ok(took >= 300 && took < 5000, `the probe took ${took} ms`);
    // The timed-out probe is gone from the container (the one running now may be there).
    ok(['stop', '-t', '0', 'slow']);
    ok(['start', 'slow']);
    await sleep(1500);
    const sleeps = ok(['exec', 'slow', 'ps', '-o', 'args']).split('\n').filter((l) => l.trim() === 'sleep 30');
    assert.ok(sleeps.length <= 1, `probes piled up: ${sleeps.length} still running`);
    ok(['rm', '-f', 'slow']);
  });

  test('an image\'s HEALTHCHECK is used, --health-* flags fill in over it, --no-healthcheck disables it', async () => {
    writeFileSync(join(context, 'Dockerfile'), [
      `FROM ${busyboxImage}`,
      'HEALTHCHECK --interval=200ms --timeout=5s --retries=1 CMD ["/bin/test", "-f", "/tmp/ok"]',
      '',
    ].join('\n'));
    ok(['build', '-q', '-t', 'checked:1', context]);

    ok(['run', '-d', '--name', 'img', 'checked:1', 'sleep', '1000']);
    assert.deepEqual(inspect('img').Config.Healthcheck, { Test: ['CMD', '/bin/test', '-f', '/tmp/ok'], Interval: 200e6, Timeout: 5e9, Retries: 1 });
    await until('unhealthy without the file', () => health('img').Status === 'unhealthy');
    ok(['exec', 'img', 'touch', '/tmp/ok']);
    await until('healthy with it', () => health('img').Status === 'healthy');

    ok(['create', '--name', 'more', '--health-retries', '4', '--health-start-period', '1s', 'checked:1', 'sleep', '1000']);
    assert.deepEqual(inspect('more').Config.Healthcheck, { Test: ['CMD', '/bin/test', '-f', '/tmp/ok'], Interval: 200e6, Timeout: 5e9, StartPeriod: 1e9, Retries: 4 });

    ok(['run', '-d', '--name', 'off', '--no-healthcheck', 'checked:1', 'sleep', '1000']);
    assert.deepEqual(inspect('off').Config.Healthcheck?.Test, ['NONE']);
    await sleep(1000);
    assert.equal(inspect('off').State.Health, undefined);
    assert.match(psStatus('off'), /^Up [^(]*$/);
    ok(['rm', '-f', 'img', 'more', 'off']);
  });

  test('conflicting or bad health flags are refused with docker\'s messages and exit code', () => {
    const cases: [string[], RegExp][] = [
      [['--no-healthcheck', '--health-cmd', 'true'], /--no-healthcheck conflicts with --health-\* options/],
      [['--health-interval', '100us'], /Interval in Healthcheck cannot be less than 1ms/],
      [['--health-timeout', 'soon'], /invalid argument "soon" for "--health-timeout" flag/],
      [['--health-retries', '-1'], /--health-retries cannot be negative/],
    ];
    const existing = store.berth(['ps', '-aq']).stdout;
    for (const [flags, message] of cases) {
      const r = store.berth(['run', '--rm', ...flags, busyboxImage, 'true']);
      assert.equal(r.code, 125, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(store.berth(['ps', '-aq']).stdout, existing, 'nothing was created');
  });
});
