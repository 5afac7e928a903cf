import { readFileSync } from 'node:fs';

import { allCapabilities, capabilitiesFromMask } from '../core/spec/index.js';

let cached: string[] | undefined;

/**
 * The capabilities berth's own process may pass on: its bounding set (CapBnd in
 * /proc/self/status), which the runtime inherits. A host (or an outer container) may lack some,
 * and asking the runtime for one of those fails; privileged containers get exactly these.
 */
export function hostCapabilities(): string[] {
  if (cached) return cached;
  let mask: string | undefined;
  try {
    mask = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  } catch {
    mask = undefined; // no procfs: let the runtime decide
  }
  cached = mask === undefined ? [...allCapabilities] : capabilitiesFromMask(mask);
  return cached;
}
