/**
 * Which errors came from the engine: the docker CLI prints a daemon's error as `Error response
 * from daemon: MESSAGE`, and scripts match on that prefix (`grep -q "Error response from daemon"`),
 * while its own errors (usage, reading a file) come without it. berth's engine runs in-process, so
 * the CLI marks what the engine's methods throw (or reject with) on their way out.
 */
import type { Engine } from '../api/index.js';

const fromEngine = new WeakSet<object>();

/** Whether `err` was thrown by an engine method (see `markEngineErrors`). */
export function isEngineError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && fromEngine.has(err);
}

/**
 * What a remote engine (src/client) sets on an error that is a daemon's answer; its own errors
 * (a refused connection, a command it does not have) are not the daemon's.
 */
const daemonAnswer = Symbol.for('berth.daemon-answer');

const marker = (daemonAnswersOnly: boolean) => (err: unknown): never => {
  if (typeof err === 'object' && err !== null && (!daemonAnswersOnly || (err as Record<symbol, unknown>)[daemonAnswer] === true)) fromEngine.add(err);
  throw err;
};

/**
 * The engine seen through a proxy that marks the errors of its methods and of its parts' methods
 * (`engine.containers.start`); values are passed through as they are, methods called on the real
 * object (so private fields keep working). `daemonAnswersOnly` (a remote engine): only the errors
 * that carry a daemon's answer.
 */
export function markEngineErrors(engine: Engine, options: { daemonAnswersOnly?: boolean } = {}): Engine {
  const mark = marker(options.daemonAnswersOnly === true);
  const wrap = <T extends object>(target: T, depth: number): T => {
    const parts = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get(t, prop) {
        const value: unknown = Reflect.get(t, prop, t);
        if (typeof value === 'function') {
          return (...args: unknown[]) => {
            try {
              const result: unknown = (value as (...a: unknown[]) => unknown).apply(t, args);
              return result instanceof Promise ? result.catch(mark) : result;
            } catch (err) {
              return mark(err);
            }
          };
        }
        if (depth > 0 && typeof value === 'object' && value !== null) {
          if (!parts.has(prop)) parts.set(prop, wrap(value, depth - 1));
          return parts.get(prop);
        }
        return value;
      },
    });
  };
  return wrap(engine, 1);
}
