/**
 * Runs a long command (build, pull, push, bootstrap) with an AbortSignal that the first of
 * `signals` aborts, so the engine can stop cleanly and leave nothing half-done; the handlers go
 * when the command ends. With `once`, the handlers fire once: a second signal meets Node's default
 * (the process ends at once); without it, later signals are ignored while the abort completes.
 */
export async function interruptible<T>(signals: readonly NodeJS.Signals[], fn: (signal: AbortSignal) => Promise<T>, options: { once?: boolean } = {}): Promise<T> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  for (const s of signals) {
    if (options.once) process.once(s, stop);
    else process.on(s, stop);
  }
  try {
    return await fn(controller.signal);
  } finally {
    for (const s of signals) process.off(s, stop);
  }
}
