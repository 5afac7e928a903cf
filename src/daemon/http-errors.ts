/**
 * Errors as the Engine API answers them: `{"message": ...}` with the status Docker gives the
 * error's class (moby's errdefs → httpstatus): 404 not found, 409 conflict, 400 bad input,
 * 403 forbidden, 501 not implemented, 500 for anything else.
 */
import { isBerthError, isDiskFull } from '../base/index.js';
import type { ErrorKind } from '../base/index.js';

const statusByKind: Record<ErrorKind, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  InvalidArgument: 400,
  FailedPrecondition: 409,
  Unavailable: 503,
  NotImplemented: 501,
  PermissionDenied: 403,
  Aborted: 500,
  DataLoss: 500,
  Unknown: 500,
};

/** Status codes a route chooses over its error's kind (Docker's answer for that condition). */
export const statusOverrides = new Map<string, number>([
  // `network rm bridge`, `network rm` with endpoints: dockerd answers 403.
  ['BERTH_E_NETWORK_PREDEFINED', 403],
  ['BERTH_E_NETWORK_IN_USE', 403],
  // `docker build --target nosuch`: dockerd's 400 "failed to reach build target"
  ['BERTH_E_BUILD_TARGET_NOT_FOUND', 400],
]);

export interface HttpError {
  status: number;
  message: string;
  /** The berth error code, for the daemon's log. */
  code?: string;
}

export function httpError(err: unknown): HttpError {
  if (isBerthError(err)) return { status: statusOverrides.get(err.code) ?? statusByKind[err.kind], message: err.message, code: err.code };
  if (isDiskFull(err)) return { status: 500, message: 'no space left on device' };
  return { status: 500, message: err instanceof Error ? err.message : String(err) };
}
