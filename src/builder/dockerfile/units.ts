/** Go duration and Docker size parsing, for HEALTHCHECK durations and tmpfs `size=`. */

/** Go's `time.ParseDuration`, shared with the CLI's `--health-*` flags. */
export { parseGoDuration } from '../../base/index.js';

const sizeUnits: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units `RAMInBytes`: `64m`, `1.5g`, `512`, `2GiB` (binary multiples), or undefined. */
export function parseRamInBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text);
  if (!m) return undefined;
  const size = Number.parseFloat(m[1] as string);
  const unit = sizeUnits[(m[2] ?? '').toLowerCase()] as number;
  return Math.trunc(size * unit);
}
