import { errors } from '../../base/index.js';

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/**
 * A size in bytes from Docker's notation (go-units RAMInBytes): binary units, case-insensitive,
 * an optional `b`/`ib` suffix and fraction: "100", "512k", "32m", "1.5g", "64MiB".
 * Throws invalidArgument `BERTH_E_INVALID_SIZE`.
 */
export function parseBytes(text: string): number {
  const match = SIZE.exec(text.trim());
  if (!match) throw errors.invalidArgument('INVALID_SIZE', `Invalid size "${text}"`);
  const unit = match[2]?.toLowerCase();
  const bytes = Math.trunc(Number(match[1]) * (unit ? (UNITS[unit] ?? 1) : 1));
  if (!Number.isSafeInteger(bytes)) throw errors.invalidArgument('INVALID_SIZE', `Invalid size "${text}": too large`);
  return bytes;
}
