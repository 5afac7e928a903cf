/**
 * Health checks: what a container's monitor is told to run (`berth container healthcheck ID` on
 * the container's interval), and that command — one probe in the container through the runtime's
 * exec, with Docker's timeout and output limit, its result folded into the record's health state
 * under the metadata lock (core/containers/health.ts has Docker's rules).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { errors, formatGoDuration, randomHex } from '../base/index.js';
import type { ContainerRecord, HealthLogEntry } from '../core/containers/index.js';
import { applyProbeResult, healthSettings, maxHealthOutputBytes, startingHealth, supervisorAlive } from '../core/containers/index.js';
import type { Process, Spec } from '../oci/index.js';
import { containerDir } from './container-lifecycle.js';
import type { EngineContext } from './engine-context.js';
import type { MonitorLaunch } from './monitor-session.js';

/** The monitor's health option for a container with a health check; undefined without one. */
export function healthLaunch(ctx: EngineContext, record: ContainerRecord): MonitorLaunch['health'] {
  const settings = healthSettings(record.config);
  if (!settings) return undefined;
  return {
    command: [...ctx.monitor.berth, 'container', 'healthcheck', record.id],
    intervalMs: settings.intervalNs / 1e6,
    startPeriodMs: settings.startPeriodNs / 1e6,
    startIntervalMs: settings.startIntervalNs / 1e6,
  };
}

/** The health state a (re)started container begins with, or undefined without a health check. */
export function healthOnStart(record: ContainerRecord): ContainerRecord['state']['health'] {
  return healthSettings(record.config) ? startingHealth(record.state.health) : undefined;
}

/**
 * `berth container healthcheck ID`: runs one probe and records its result. Returns whether the
 * probe succeeded (the monitor leaves the start period's quicker interval after the first success).
 */
export async function runHealthCheck(ctx: EngineContext, ref: string): Promise<boolean> {
  const record = ctx.metadata.findContainer(ref);
  const settings = healthSettings(record.config);
  if (!settings) throw errors.failedPrecondition('NO_HEALTHCHECK', `Container ${record.id} has no health check`);
  if (record.state.status !== 'running' || !supervisorAlive(record)) {
    // Paused, stopping or gone: no probe, nothing recorded (Docker skips these too).
    throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Container ${record.id} is not running`);
  }
  const dir = containerDir(ctx, record.id);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Spec;
  const processConfig: Process = { ...(spec.process as Process), terminal: false, args: settings.argv };
  delete processConfig.consoleSize;
  const suffix = randomHex(6);
  const file = join(dir, `probe-${suffix}.json`);
  const pidFile = join(dir, `probe-${suffix}.pid`);
  writeFileSync(file, JSON.stringify(processConfig));
  const start = new Date().toISOString();
  let entry: HealthLogEntry;
  try {
    const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
    const result = await driver.probe(record.id, file, { pidFile, timeoutMs: settings.timeoutNs / 1e6, outputLimit: maxHealthOutputBytes });
    const end = new Date().toISOString();
    if (result.timedOut) entry = { start, end, exitCode: -1, output: `Health check exceeded timeout (${formatGoDuration(settings.timeoutNs)})` };
    else if (result.error !== undefined) entry = { start, end, exitCode: -1, output: `OCI runtime exec failed: ${result.error}` };
    else entry = { start, end, exitCode: result.exitCode, output: result.output };
  } finally {
    rmSync(file, { force: true });
    rmSync(pidFile, { force: true });
  }
  ctx.metadata.updateContainer(record.id, (r) => {
    // Only for the run it was started for: a result that comes after a stop or restart is dropped.
    if (r.state.status !== 'running' || r.state.startedAt !== record.state.startedAt) return;
    r.state.health = applyProbeResult(r.state.health ?? startingHealth(undefined), entry, {
      retries: settings.retries, startPeriodNs: settings.startPeriodNs, startedAt: r.state.startedAt,
    });
  });
  return entry.exitCode === 0;
}
