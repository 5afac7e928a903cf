/**
 * What the daemon gives its native lane (sys ApiLane, native/api_lane.c), the thread that answers
 * `docker ps`'s two requests without Node: the heads of those answers, and, after each listing of
 * the running containers that Node makes itself, a snapshot of it the lane can answer with until
 * a container record changes or a listed container's monitor goes.
 */
import type { ContainerRecord } from '../api/index.js';
import { containerStatusParts, containerSummaryView, reconcileWatches } from '../api/index.js';
import type { LaneListing } from '../sys/index.js';
import { answerHead } from './fast-lane.js';

/** The heads of the lane's two answers, as the fast lane writes them (fast-routes.ts). */
export function laneHeads(ping: { headers: [string, string][] }, commonHeaders: [string, string][]): { ping: string; list: string } {
  return { ping: answerHead(200, ping.headers, commonHeaders), list: `${answerHead(200, [['Content-Type', 'application/json']], commonHeaders)}Content-Length: ` };
}

/**
 * The listing of `records` (GET /containers/json without a query, newest first) as the lane
 * renders it: the JSON the list route answers with, each Status duration a marker, "\x01<ms>\x01"
 * or, followed by " ago", "\x02<ms>\x02" (JSON text never holds a raw control character).
 */
export function listingTemplate(records: readonly ContainerRecord[], storeRoot: string): Buffer {
  const items = records.map((c) => {
    const entries = Object.entries(containerSummaryView(c, { storeRoot }));
    const at = entries.findIndex(([key]) => key === 'Status');
    const before = JSON.stringify(Object.fromEntries(entries.slice(0, at)));
    const after = JSON.stringify(Object.fromEntries(entries.slice(at + 1)));
    const parts = containerStatusParts(c);
    const status = 'text' in parts
      ? JSON.stringify(parts.text)
      : `"${JSON.stringify(parts.before).slice(1, -1)}${parts.ago ? '\x02' : '\x01'}${parts.since}${parts.ago ? '\x02' : '\x01'}${JSON.stringify(parts.after).slice(1, -1)}"`;
    return `${before.slice(0, -1)}${at > 0 ? ',' : ''}"Status":${status}${after === '{}' ? '}' : `,${after.slice(1)}`}`;
  });
  return Buffer.from(`[${items.join(',')}]\n`);
}

/**
 * The monitors whose end makes a listing of `records` stale: each listed container's. Undefined
 * when the listing depends on more than them (a start, commit or removal still in progress, whose
 * process Node's reconciliation also watches) and must not be published.
 */
export function laneMonitors(records: readonly ContainerRecord[]): { pid: number; startTime: number }[] | undefined {
  const monitors: { pid: number; startTime: number }[] = [];
  for (const c of records) {
    const watched = reconcileWatches(c);
    if (watched === undefined) return undefined;
    monitors.push(...watched);
  }
  return monitors;
}

/** The snapshot to publish after listing `records` between two equal stamps; undefined when it cannot be vouched for. */
export function laneListing(records: readonly ContainerRecord[], storeRoot: string, stamps: { before: { path: string; stamp: string } | undefined; after: { path: string; stamp: string } | undefined }): LaneListing | undefined {
  const { before, after } = stamps;
  if (before === undefined || after === undefined || before.stamp !== after.stamp || before.path !== after.path) return undefined;
  const monitors = laneMonitors(records);
  return monitors && { dir: before.path, stamp: before.stamp, monitors, template: listingTemplate(records, storeRoot) };
}
