/**
 * An operation is one request to the engine — a CLI command, later one Engine API call — and
 * carries what used to be process-wide: who owns the temporary work it leaves while it runs,
 * where its warnings go (Docker returns warnings per request), and how it is cancelled.
 *
 * Temporary work (build step containers, snapshots, folders) is named with the owner's tag
 * `<pid>-<op>`. It is stale when its process is gone, or when it is this process's and the
 * operation has ended: so a long-running process (the daemon) recovers its own failed builds.
 */

import type { ProcessRef } from './process.js';
import { processStartTime, selfProcess } from './process.js';
import { randomHex } from './random.js';

export interface Owner extends ProcessRef {
  /** 8 hex digits naming the operation within its process. */
  op: string;
}

export interface Operation {
  readonly owner: Owner;
  /** `<pid>-<op>`: the prefix of the names this operation gives its temporary work. */
  readonly tag: string;
  readonly signal?: AbortSignal;
  /** Warnings so far, in order. */
  readonly warnings: readonly string[];
  warn(message: string): void;
  /** The operation is over: its leftovers, if any, are stale from now on. */
  end(): void;
}

export interface OperationOptions {
  signal?: AbortSignal;
  /** Called with each warning as it is given (the CLI prints it at once). */
  onWarning?: (message: string) => void;
}

const live = new Set<string>();

export function beginOperation(options: OperationOptions = {}): Operation {
  const op = randomHex(4);
  const owner = { ...selfProcess(), op };
  const tag = `${owner.pid}-${op}`;
  const warnings: string[] = [];
  live.add(op);
  return {
    owner,
    tag,
    ...(options.signal ? { signal: options.signal } : {}),
    warnings,
    warn(message) {
      warnings.push(message);
      options.onWarning?.(message);
    },
    end: () => void live.delete(op),
  };
}

/**
 * Runs `fn` in `op` when given, else in an operation of its own that ends with it (for callers
 * that do not track operations).
 */
export async function withOperation<T>(op: Operation | undefined, fn: (op: Operation) => Promise<T>): Promise<T> {
  if (op) return fn(op);
  const own = beginOperation();
  try {
    return await fn(own);
  } finally {
    own.end();
  }
}

const tagPattern = /(?:^|-)(\d+)-([0-9a-f]{8})-/;

/**
 * The owner named in a temporary object's name (`build-<pid>-<op>-…`, `<pid>-<op>-context-…`), or
 * `undefined` when the name carries none.
 */
export function ownerOfName(name: string): { pid: number; op: string } | undefined {
  const m = tagPattern.exec(name);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, op: m[2] as string } : undefined;
}

/** Whether the work named `name` still has a live owner; names without an owner count as owned. */
export function ownerAlive(name: string): boolean {
  const owner = ownerOfName(name);
  if (!owner) return true;
  if (owner.pid === process.pid) return live.has(owner.op);
  // A zombie (killed, not yet reaped by its parent) owns nothing any more.
  return processStartTime(owner.pid) !== undefined;
}
