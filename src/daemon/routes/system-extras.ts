/**
 * GET /events (the event log, followed until `until` passes or the client goes),
 * GET /system/df (what the store takes on disk, in dockerd's layout) and POST /build/prune
 * (`docker builder prune`, and the build cache part of `docker system prune`: `all`,
 * `keep-storage`, filters `until`/`unused-for`/`type`/`id`; while a build, import or container
 * creation holds a lease nothing is pruned: a 503 that says so).
 */
import { setImmediate as tick } from 'node:timers/promises';

import { errors } from '../../base/index.js';
import { diskUsageView, goJson, timestampNanos } from '../../api/index.js';
import type { EventMessage } from '../../api/index.js';
import type { ApiCall } from '../api-call.js';
import type { Router } from '../router.js';

/** `since`/`until` as the CLI sends them: Unix seconds with up to 9 decimals (an RFC 3339 time is taken too). */
function timeParam(call: ApiCall, name: string): bigint | undefined {
  const value = call.string(name);
  if (value === undefined) return undefined;
  return timestampNanos(value.trim(), (v) => {
    const ms = /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms)) throw errors.invalidArgument('INVALID_PARAMETER', `invalid value for ${name}: ${JSON.stringify(value)} is not a Unix timestamp`);
    return ms / 1000;
  });
}

async function events(call: ApiCall): Promise<void> {
  const since = timeParam(call, 'since');
  const until = timeParam(call, 'until');
  const iterator = call.engine.system.events({
    follow: true, filters: call.filters(), signal: call.signal,
    ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}),
  })[Symbol.asyncIterator]();
  let next = iterator.next();
  // A bad filter fails the first step at once: answer it as a 400, before the stream's 200.
  const early = await Promise.race([next.then(() => 'ok', (err: unknown) => ({ err })), tick().then(() => 'pending')]);
  if (typeof early === 'object') throw early.err;
  // Headers at once: the CLI shows nothing until they come, and waits for events after them.
  const res = call.stream('application/json');
  try {
    for (;;) {
      const step: IteratorResult<EventMessage> = await next;
      if (step.done) break;
      // Go's json.Encoder: timeNano as an exact int64, HTML characters escaped, one object a line.
      res.write(`${goJson(step.value, true)}\n`);
      next = iterator.next();
    }
  } finally {
    await iterator.return?.();
  }
  res.end();
}

export function addSystemExtrasRoutes(router: Router): void {
  router.add('GET', '/events', events);

  router.add('POST', '/build/prune', async (call) => {
    const result = await call.engine.system.pruneBuildCache({ all: call.bool('all'), keepStorage: Math.max(0, call.int('keep-storage') ?? 0), filters: call.filters() });
    if (result.skipped !== undefined) throw errors.unavailable('BUILD_CACHE_BUSY', `failed to prune build cache: ${result.skipped}; try again when it has finished`);
    call.send(200, { CachesDeleted: result.deleted.length > 0 ? result.deleted : null, SpaceReclaimed: result.spaceReclaimed });
  });

  router.add('GET', '/system/df', async (call) => {
    const engine = call.engine;
    const [usage, images, containers, volumes] = await Promise.all([engine.system.df(), engine.images.list(), engine.containers.list({ all: true }), engine.volumes.list()]);
    call.send(200, diskUsageView(usage, { images, containers, volumes }));
  });
}
