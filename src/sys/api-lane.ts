/**
 * The daemon's native lane (native/api_lane.c): a thread that accepts the daemon's unix socket
 * connections and answers `docker ps`'s two requests from memory, handing every other connection
 * to Node with what it read. What it answers and why that is safe: the comment atop api_lane.c.
 */
import { nativeLane } from './index.js';
import type { NativeLaneHandle } from './index.js';

/** A listing the lane may answer with while nothing it depends on changed. */
export interface LaneListing {
  /** The directory every container record change goes through, and its stamp ("ino:mtimeNs:ctimeNs:size") when listed. */
  dir: string;
  stamp: string;
  /** The monitor of each listed container: the listing is stale once one is gone. */
  monitors: readonly { pid: number; startTime: number }[];
  /** The answer's body, its Status durations as markers (listingTemplate in src/daemon/native-lane.ts). */
  template: Buffer;
}

/** Given each connection the lane does not serve to the end: its descriptor, the bytes read and not answered, the answer bytes not yet written. */
export type LaneHandOver = (fd: number, unread: Buffer | null, unwritten: Buffer | null) => void;

export class ApiLane {
  private stopped = false;

  private constructor(private readonly handle: NativeLaneHandle) {}

  /**
   * Starts the lane's thread on listening unix sockets, which it owns from then on. `heads` are the
   * answers' heads as Node's server writes them: the ping's up to its Date header, the listing's up
   * to its Content-Length value. API versions are numbers as 1.41 → 141.
   */
  static start(listeners: readonly number[], heads: { ping: string; list: string }, versions: { min: number; max: number }, handOver: LaneHandOver): ApiLane {
    return new ApiLane(nativeLane().laneStart([...listeners], handOver, heads.ping, heads.list, versions.min, versions.max));
  }

  /** Replaces the listing the lane answers with (none: every listing goes to Node); false when a monitor is already gone. */
  publish(listing: LaneListing | undefined): boolean {
    if (this.stopped) return false;
    const snapshot = listing && { dir: listing.dir, stamp: listing.stamp, monitors: listing.monitors.flatMap((m) => [m.pid, m.startTime]), template: listing.template };
    return nativeLane().lanePublish(this.handle, snapshot ?? null);
  }

  /** How many requests the lane answered, and how many connections it handed to Node. */
  stats(): { answered: number; handedOver: number } {
    const [answered, handedOver] = nativeLane().laneStats(this.handle);
    return { answered, handedOver };
  }

  /** Stops the thread; closes the listening sockets and the connections it held. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    nativeLane().laneStop(this.handle);
  }
}

/** A listening unix stream socket bound at `path` (which must not exist), for ApiLane.start. */
export function listenUnixSocket(path: string, backlog = 511): number {
  return nativeLane().listenUnix(path, backlog);
}

/** Whether `fd` is a listening unix stream socket (one systemd passed), which the lane can take. */
export function isUnixStreamListener(fd: number): boolean {
  return nativeLane().isUnixStreamListener(fd);
}

/** What the lane makes of a listing template at `nowMs` (tests hold it against Node's rendering). */
export function renderLaneTemplate(template: Buffer, nowMs: number): string {
  return nativeLane().renderTemplate(template, nowMs);
}
