/**
 * Whether this process lives long: `berth daemon` serves many requests, a CLI command one.
 * Caches that pay off only across many requests (held /proc handles, the container listing)
 * are kept in a long-lived process alone; a CLI command would pay for them and never use them.
 */
let longLived = false;

/** Called once by a process that will serve many requests (the daemon), before it opens its engine. */
export function markLongLived(): void {
  longLived = true;
}

export function isLongLived(): boolean {
  return longLived;
}
