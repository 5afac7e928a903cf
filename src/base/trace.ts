/**
 * Phase timings for performance work: with BERTH_TRACE=1, `trace('label')` prints the time since
 * process start to stderr. Costs one property read when off.
 */
const enabled = process.env['BERTH_TRACE'] === '1';

export function trace(label: string): void {
  if (enabled) process.stderr.write(`[trace] ${performance.now().toFixed(1)}ms ${label}\n`);
}
