/** Go's durations: `time.ParseDuration` and `Duration.String`, in nanoseconds (Docker's flags and messages use them). */

const durationUnits: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/**
 * Go's `time.ParseDuration` (`1m30s`, `1.5h`, `300ms`, `0`) in nanoseconds, or undefined when
 * the text is not a duration.
 */
export function parseGoDuration(text: string): number | undefined {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const part = /^([0-9]*(?:\.[0-9]*)?)([^0-9.]+)/;
  while (s !== '') {
    const m = part.exec(s);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    const unit = durationUnits[m[2] as string];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** A fraction without trailing zeros: (1500, 3) → `1.5`. */
function decimal(value: number, digits: number): string {
  const whole = Math.trunc(value / 10 ** digits);
  const frac = String(value % 10 ** digits).padStart(digits, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}

/** Go's `Duration.String()`: `300ms`, `1.5s`, `1m30s`, `2h0m0s`, `0s`. */
export function formatGoDuration(ns: number): string {
  const n = Math.round(Math.abs(ns));
  const sign = ns < 0 ? '-' : '';
  if (n === 0) return '0s';
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${decimal(n, 3)}µs`;
  if (n < 1e9) return `${sign}${decimal(n, 6)}ms`;
  const hours = Math.trunc(n / 3600e9);
  const minutes = Math.trunc((n % 3600e9) / 60e9);
  const seconds = `${decimal(n % 60e9, 9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
