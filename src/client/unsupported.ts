import type { BerthError } from '../base/index.js';
import { errors } from '../base/index.js';

/** The error of an Engine method a remote engine does not have, naming the command. */
export type Unsupported = (command: string, why?: string) => BerthError;

export function unsupportedFor(display: string): Unsupported {
  return (command, why) => errors.notImplemented(
    'REMOTE_UNSUPPORTED',
    `"berth ${command}" is not available with --host (the daemon at ${display})${why ? `: ${why}` : ''}`,
    { hint: `It works without --host, on a local store (unset BERTH_HOST, or give --root)` },
  );
}

