/**
 * The container service: the lifecycle steps of container-lifecycle.ts strung together for the
 * Engine's ContainerEngine. A foreground run is supervised by the calling process: the runtime
 * is its child and relays the container's exit (see docs/ARCHITECTURE.md, the run path).
 */
import { constants as osConstants } from 'node:os';

import type { Operation } from '../base/index.js';
import { errors, isBerthError, isNotFound, trace, withOperation } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { assertTransition, supervisorAlive } from '../core/containers/index.js';
import type { AttachOptions, ContainerEngine } from '../api/index.js';
import { exitCodeFor } from '../api/index.js';
import { createContainerControl, thawAfterKill } from './container-control.js';
import { createContainer, markRunning, prepareBundle, recordExit, removeContainer, stopInRuntime, tearDown } from './container-lifecycle.js';
import type { EngineContext } from './engine-context.js';
import type { ImageService } from './images.js';

export type ContainerService = ContainerEngine;

export function createContainerService(ctx: EngineContext, images: ImageService): ContainerService {
  async function runAttached(ref: string | ContainerRecord, options: AttachOptions, op: Operation): Promise<number> {
    // A record passed in may be stale: markRunning checks the transition again under the lock.
    const record = typeof ref === 'string' ? ctx.metadata.findContainer(ref) : ref;
    assertTransition(record, 'running');
    const selection = ctx.runtime(record.hostConfig.runtime || undefined);
    if (selection.warning) op.warn(selection.warning);
    // Aborted when the record cannot say "running": an unrecorded container must not run on.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let exitCode: number;
    let failure: unknown;
    try {
      if (options.signal?.aborted) throw errors.aborted('RUN_ABORTED', `Container "${record.name}" was not started: the run was aborted`);
      const bundle = await prepareBundle(ctx, record);
      const onSpawn = (pid: number) => {
        try {
          markRunning(ctx, record.id, { name: selection.driver.name, pid }, { pid: op.owner.pid, startTime: op.owner.startTime });
        } catch (err) {
          failure = err;
          stop.abort();
          return;
        }
        options.onSpawn?.();
      };
      trace('start: running');
      exitCode = (await selection.driver.run(record.id, bundle, { stdio: options.stdio, signal, onSpawn })).exitCode;
      trace('start: exited');
    } catch (err) {
      failure ??= err;
      exitCode = exitCodeFor(err);
      // Stopped before it started, as asked (Ctrl-C early): exit as if killed by that signal.
      if (failure === err && isBerthError(err, 'Aborted') && options.signal?.aborted) {
        exitCode = 128 + (signalNumber(options.signal.reason) ?? 9);
        failure = undefined;
      }
    }
    return finishRun(record, { exitCode, failure });
  }

  /** Tears the container down, then records its exit, or with --rm removes it. */
  async function finishRun(record: ContainerRecord, { exitCode, failure }: { exitCode: number; failure: unknown }): Promise<number> {
    const { oomKilled, problems } = await tearDown(ctx, record, exitCode);
    // A foreground --rm container goes right away: nobody needs to see it exited or removing.
    let removal: unknown;
    if (record.hostConfig.autoRemove && problems.length === 0) {
      try {
        await removeContainer(ctx, record, { announce: false });
        trace('removed');
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the run threw
        if (failure !== undefined) throw failure;
        return exitCode;
      } catch (err) {
        if (err === failure) throw err;
        removal = err;
      }
    }
    const problem = failure ?? problems[0] ?? removal;
    // `rm -f` from another process may have removed the container (killing it): its exit is still ours to report.
    recordExit(ctx, record.id, { exitCode, oomKilled, error: problem instanceof Error ? problem.message : '' });
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the run or teardown threw
    if (problem !== undefined) throw problem;
    return exitCode;
  }

  return {
    ...createContainerControl(ctx),
    async create(options) {
      trace('create: start');
      const image = await images.resolve(options.image);
      trace('create: image resolved');
      return createContainer(ctx, image, options);
    },
    runAttached: (ref, options, op) => withOperation(op, (own) => runAttached(ref, options, own)),
    async kill(ref, signal) {
      const record = ctx.metadata.findContainer(ref);
      if (!isActive(record) || !supervisorAlive(record)) {
        throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Cannot kill container "${record.name}": container is not running`);
      }
      const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
      for (let attempt = 0; ; attempt++) {
        try {
          await driver.kill(record.id, signal);
          return await thawAfterKill(ctx, record, signal);
        } catch (err) {
          // Between its spawn and its create (a few ms) the runtime does not know the container yet.
          if (!isNotFound(err) || attempt >= 300 || !isActive(ctx.metadata.findContainer(record.id))) throw err;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    },
    inspect: async (ref) => withLiveness(ctx.metadata.findContainer(ref)),
    list: async ({ all = false } = {}) => ctx.metadata.listContainers().map(withLiveness).filter((c) => all || isActive(c)),
    async remove(ref, { force = false } = {}) {
      const record = ctx.metadata.findContainer(ref);
      const supervised = isActive(record) && supervisorAlive(record);
      if (supervised && !force) {
        throw errors.failedPrecondition('CONTAINER_RUNNING', `Cannot remove container "${record.name}": container is running, stop it first or use --force`);
      }
      if (isActive(record)) await stopInRuntime(ctx, record, supervised);
      await removeContainer(ctx, record);
      return record.name;
    },
  };
}

const isActive = (record: ContainerRecord) => record.state.status === 'running' || record.state.status === 'paused';

/** A record as others should see it: "running" with its supervisor gone is dead (Docker's status). */
function withLiveness(record: ContainerRecord): ContainerRecord {
  if (!isActive(record) || supervisorAlive(record)) return record;
  return { ...record, state: { ...record.state, status: 'dead' } };
}

/** The number of a signal named like `SIGINT`, if it is one. */
function signalNumber(name: unknown): number | undefined {
  return typeof name === 'string' ? (osConstants.signals as Record<string, number | undefined>)[name] : undefined;
}
