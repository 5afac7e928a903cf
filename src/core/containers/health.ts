/**
 * Health checks, as Docker runs them: the settings a container's Healthcheck config gives (with
 * Docker's defaults), the merge of an image's HEALTHCHECK with `run`'s `--health-*` flags, and the
 * state machine that turns probe results into `starting` / `healthy` / `unhealthy`.
 */
import { errors } from '../../base/index.js';
import type { HealthConfig } from '../../oci/index.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe's result, as Docker's inspect shows it (State.Health.Log). */
export interface HealthLogEntry {
  start: string;
  end: string;
  /** The probe's exit code; -1 when it timed out or could not run. */
  exitCode: number;
  /** The first 4096 bytes of its stdout and stderr together. */
  output: string;
}

export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  /** The last `maxHealthLogEntries` results, oldest first. */
  log: HealthLogEntry[];
}

/** Docker's defaults (daemon/health.go). */
export const healthDefaults = { intervalNs: 30e9, timeoutNs: 30e9, startPeriodNs: 0, startIntervalNs: 5e9, retries: 3 } as const;
export const maxHealthLogEntries = 5;
/** Docker keeps this much of a probe's output. */
export const maxHealthOutputBytes = 4096;
/** Docker's smallest non-zero health duration (container.MinimumDuration). */
const minimumDurationNs = 1e6;

/** What the probes of a container run, and when: its Healthcheck config with Docker's defaults. */
export interface HealthSettings {
  /** The probe's command line in the container: CMD's argv, or CMD-SHELL's text after the shell. */
  argv: string[];
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  startIntervalNs: number;
  retries: number;
}

/**
 * The probe settings of a container config, or undefined when it has no health check (no
 * Healthcheck, an empty test, `NONE`, or a test type Docker does not know). CMD-SHELL runs
 * through the image's SHELL, `/bin/sh -c` by default.
 */
export function healthSettings(config: { Healthcheck?: HealthConfig; Shell?: string[] }): HealthSettings | undefined {
  const h = config.Healthcheck;
  const [kind, ...rest] = h?.Test ?? [];
  if (!h || rest.length === 0) return undefined;
  let argv: string[];
  if (kind === 'CMD') argv = rest;
  else if (kind === 'CMD-SHELL') argv = [...(config.Shell?.length ? config.Shell : ['/bin/sh', '-c']), ...rest];
  else return undefined;
  const or = (value: number | undefined, fallback: number) => (value && value > 0 ? value : fallback);
  return {
    argv,
    intervalNs: or(h.Interval, healthDefaults.intervalNs),
    timeoutNs: or(h.Timeout, healthDefaults.timeoutNs),
    startPeriodNs: or(h.StartPeriod, healthDefaults.startPeriodNs),
    startIntervalNs: or(h.StartInterval, healthDefaults.startIntervalNs),
    retries: or(h.Retries, healthDefaults.retries),
  };
}

/**
 * Docker's merge of the image's Healthcheck with the container's (daemon/commit.go): without the
 * container's, the image's; otherwise each empty field of the container's is taken from the image.
 */
export function mergeHealthcheck(image: HealthConfig | undefined, user: HealthConfig | undefined): HealthConfig | undefined {
  if (!user) return image;
  if (!image) return user;
  const pick = <K extends keyof HealthConfig>(key: K) => {
    const own = user[key];
    const empty = own === undefined || (Array.isArray(own) ? own.length === 0 : own === 0);
    return empty ? image[key] : own;
  };
  const merged: HealthConfig = {};
  for (const key of ['Test', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const value = pick(key);
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** The daemon's checks of a Healthcheck (daemon/container.go), with its messages. */
export function validateHealthcheck(h: HealthConfig | undefined): void {
  if (!h) return;
  const durations = [['Interval', h.Interval], ['Timeout', h.Timeout], ['StartPeriod', h.StartPeriod], ['StartInterval', h.StartInterval]] as const;
  for (const [name, value] of durations) {
    if (value !== undefined && value !== 0 && value < minimumDurationNs) {
      throw errors.invalidArgument('INVALID_HEALTHCHECK', `${name} in Healthcheck cannot be less than 1ms`);
    }
  }
  if (h.Retries !== undefined && h.Retries < 0) throw errors.invalidArgument('INVALID_HEALTHCHECK', 'Retries in Healthcheck cannot be negative');
}

/**
 * The health state of a container that (re)starts: `starting`, no failing streak, the earlier
 * probes' log kept (as Docker keeps it).
 */
export function startingHealth(previous: HealthState | undefined): HealthState {
  return { status: 'starting', failingStreak: 0, log: previous?.log ?? [] };
}

/**
 * Docker's handleProbeResult: a success makes the container healthy and clears the streak; a
 * failure adds to the streak, except while it is still `starting` within its start period, and
 * `retries` failures in a row make it unhealthy. The log keeps the last five results.
 */
export function applyProbeResult(health: HealthState, result: HealthLogEntry, context: { retries: number; startPeriodNs: number; startedAt: string }): HealthState {
  const log = [...health.log, result].slice(-maxHealthLogEntries);
  if (result.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  if (health.status === 'starting') {
    const sinceStartNs = (Date.parse(result.start) - Date.parse(context.startedAt)) * 1e6;
    if (sinceStartNs < context.startPeriodNs) return { ...health, log };
  }
  const failingStreak = health.failingStreak + 1;
  const retries = context.retries > 0 ? context.retries : healthDefaults.retries;
  return { status: failingStreak >= retries ? 'unhealthy' : health.status, failingStreak, log };
}
