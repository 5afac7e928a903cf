/**
 * BerthError: the one error type berth code throws for conditions a user can reach.
 *
 * Every error carries a closed `kind` (what went wrong, in containerd's errdefs terms) and a
 * stable `code` (`BERTH_E_...`, which exact condition). Callers branch on `kind` or `code`, never
 * on the message. The message names the offending thing in sentence case, e.g.
 * `Cannot start container "web": image "app:1" not found`.
 *
 * Kinds become exit codes in the CLI and HTTP statuses in the daemon, and only there.
 */
export type ErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'Unavailable'
  | 'NotImplemented'
  | 'PermissionDenied'
  | 'Aborted'
  | 'DataLoss'
  | 'Unknown';

export interface BerthErrorOptions {
  cause?: unknown;
  /** A hint shown under the message, e.g. how to fix the problem. */
  hint?: string;
}

const brand = Symbol.for('berth.error');

export class BerthError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly hint: string | undefined;
  readonly [brand] = true;

  constructor(kind: ErrorKind, code: string, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.kind = kind;
    this.code = code;
    this.hint = options.hint;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

export function isBerthError(err: unknown, kind?: ErrorKind): err is BerthError {
  return err instanceof BerthError && (kind === undefined || err.kind === kind);
}

export const isNotFound = (err: unknown): err is BerthError => isBerthError(err, 'NotFound');
export const isAlreadyExists = (err: unknown): err is BerthError => isBerthError(err, 'AlreadyExists');
export const isInvalidArgument = (err: unknown): err is BerthError => isBerthError(err, 'InvalidArgument');

/** Constructors for each kind; `code` is the suffix after `BERTH_E_`. */
export const errors = {
  notFound: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('NotFound', `BERTH_E_${code}`, message, options),
  alreadyExists: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('AlreadyExists', `BERTH_E_${code}`, message, options),
  invalidArgument: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('InvalidArgument', `BERTH_E_${code}`, message, options),
  failedPrecondition: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('FailedPrecondition', `BERTH_E_${code}`, message, options),
  unavailable: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('Unavailable', `BERTH_E_${code}`, message, options),
  notImplemented: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('NotImplemented', `BERTH_E_${code}`, message, options),
  permissionDenied: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('PermissionDenied', `BERTH_E_${code}`, message, options),
  aborted: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('Aborted', `BERTH_E_${code}`, message, options),
  dataLoss: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('DataLoss', `BERTH_E_${code}`, message, options),
  unknown: (code: string, message: string, options?: BerthErrorOptions) =>
    new BerthError('Unknown', `BERTH_E_${code}`, message, options),
};

/** The errno code of a Node system error (`ENOENT`, ...), or undefined. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Runs `fn`, returning `fallback` only when it fails with one of the expected errno codes. */
export async function ignoreErrno<T>(codes: readonly string[], fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = errnoCode(err);
    if (code !== undefined && codes.includes(code)) return fallback;
    throw err;
  }
}

/** True for a full disk (ENOSPC) or an exhausted quota (EDQUOT). */
export function isDiskFull(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * `err` as Unavailable NO_SPACE naming what was being written when the disk (or quota) is full,
 * otherwise `err` itself: a full disk is a condition users reach, not an internal error.
 */
export function diskFullError(err: unknown, what: string): unknown {
  if (!isDiskFull(err)) return err;
  return errors.unavailable('NO_SPACE', `No space left on the device while writing ${what}`, { cause: err, hint: 'Free some space (berth system prune removes what nothing uses) and try again.' });
}
