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

/**
 * An Engine part from what the remote engine implements: a method it lacks (one the Engine gained
 * later, say) answers with the unsupported error rather than `undefined is not a function`.
 */
export function withUnsupported<T extends object>(impl: Partial<T>, part: string, unsupported: Unsupported): T {
  return new Proxy(impl, {
    get(target, key, receiver) {
      if (typeof key !== 'string' || key in target || key === 'then' || key === 'toJSON') return Reflect.get(target, key, receiver) as unknown;
      return () => Promise.reject(unsupported(`${part} ${key}`));
    },
  }) as T;
}
