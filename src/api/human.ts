/** Docker's human-readable durations and sizes, as its CLI and API print them. */

/** "3 seconds ago", "2 hours ago": Docker's human durations; "N/A" for a time that is not one. */
export function ago(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t) || t <= 0) return 'N/A';
  return `${durationSince(t, now)} ago`;
}

/**
 * "3 seconds", "About an hour": the time from `since` to `now` (ms) as Docker words it (go-units'
 * HumanDuration: seconds and minutes cut down, hours rounded; observed with dockerd 20.10, whose
 * container up 1.7 s is "Up 1 second" and up 6 min 55 s "Up 6 minutes"). The daemon's native
 * lane words it too (native/api_lane.c lane_format_ago): change both together.
 */
export function durationSince(since: number, now = Date.now()): string {
  const ms = now - since;
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** Docker's decimal sizes: 4.26MB, 1.2GB; `precision` significant digits (3 as `images` shows them, 4 as go-units' HumanSize). */
export function humanSize(bytes: number, precision = 3): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(precision))}${units[unit]}`;
}
