/**
 * Budgets for the fuzz targets (`*.fuzz.test.ts`, property tests on fast-check). In the normal
 * test suite each target runs a fixed number of cases, so that all of them together stay within
 * CI's 60 s; `BERTH_FUZZ_SECONDS=N` runs each target for N seconds instead (see docs/FUZZING.md).
 * `BERTH_FUZZ_SEED` replays a reported failure.
 */
import fc from 'fast-check';

export { fc };

/** Seconds each target runs for, when asked for a long run; undefined in the normal suite. */
export function fuzzSeconds(): number | undefined {
  const seconds = Number(process.env.BERTH_FUZZ_SECONDS ?? '');
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** fast-check parameters: `runs` cases in the normal suite, or as many as fit in BERTH_FUZZ_SECONDS. */
export function fuzzParameters<T>(runs: number): fc.Parameters<T> {
  const seconds = fuzzSeconds();
  const seed = Number(process.env.BERTH_FUZZ_SEED ?? '');
  // a case that never settles fails (and is shrunk) instead of leaving a pending promise behind
  const base: fc.Parameters<T> = { timeout: 20_000, ...(Number.isInteger(seed) && process.env.BERTH_FUZZ_SEED !== undefined ? { seed } : {}) };
  if (seconds === undefined) return { ...base, numRuns: runs };
  // interrupting at the deadline is the end of a long run, not a failure
  return { ...base, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false };
}

/** The test's time limit: room for the long run when one is asked for. */
export function fuzzTimeout(normalMs = 60_000): number {
  const seconds = fuzzSeconds();
  return seconds === undefined ? normalMs : (seconds + 120) * 1000;
}

/**
 * Calls `fn` and fails when it uses more than `ms` of CPU: a parser that is superlinear on some
 * input (catastrophic regex backtracking, a loop that does not advance) shows up as a slow case
 * long before it hangs outright. CPU time, not wall time: a long run on a loaded machine (or a
 * `nice`d one) is descheduled for seconds, which is no fault of the input (two 10-minute runs
 * failed on cases that take 18 ms and 0.4 ms).
 */
export function withinMs<R>(ms: number, what: string, fn: () => R): R {
  const start = process.cpuUsage();
  let result: R;
  try {
    result = fn();
  } catch (err) {
    checkTime(start, ms, what);
    throw err;
  }
  checkTime(start, ms, what);
  return result;
}

function checkTime(start: NodeJS.CpuUsage, ms: number, what: string): void {
  const used = process.cpuUsage(start);
  const took = (used.user + used.system) / 1000;
  if (took > ms) throw new Error(`${what} took ${took.toFixed(0)} ms of CPU (limit ${ms} ms)`);
}
