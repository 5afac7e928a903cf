/** Go duration and Docker size parsing, for HEALTHCHECK durations and tmpfs `size=`. */

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

const sizeUnits: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units `RAMInBytes`: `64m`, `1.5g`, `512`, `2GiB` (binary multiples), or undefined. */
export function parseRamInBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) return undefined;
  const size = Number.parseFloat(m[1] as string);
  const unit = sizeUnits[(m[2] ?? '').toLowerCase()] as number;
  return Math.trunc(size * unit);
}
