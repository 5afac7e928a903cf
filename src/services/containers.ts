/**
 * The container service: the lifecycle steps of container-lifecycle.ts and the monitor-driven
 * operations of container-monitor.ts strung together for the Engine's ContainerEngine. Every
 * container runs under its own monitor process (native/berth_monitor.c), so a command that
 * started or attached to one can die without the container noticing.
 */
import { errors, isNotFound, processAlive, selfProcess, trace, waitUntilGone, withOperation } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { supervisorAlive } from '../core/containers/index.js';
import type { ContainerEngine } from '../api/index.js';
import { filterContainers } from '../api/index.js';
import { createContainerControl, thawAfterKill } from './container-control.js';
import { createContainer, removeContainer, stopInRuntime } from './container-lifecycle.js';
import { execInContainer, execOutcome, execStreamsInContainer } from './container-exec.js';
import { treeSize } from './container-prune.js';
import { readLogs } from './container-logs.js';
import { attachContainer, cleanupAfterExit, isActive, reconcile, resizeContainer, startContainer, waitForExit } from './container-monitor.js';
import type { EngineContext } from './engine-context.js';
import type { ImageService } from './images.js';
import { removeAnonymousVolumes } from './volume-mounts.js';
import { createContainerCommits } from './container-commit.js';
import { createContainerFiles } from './container-files.js';
import { pruneContainers } from './container-prune.js';
import { runHealthCheck } from './container-health.js';
import { recordContainerEvent, signalNumberText } from './events.js';
import { containerHostFacts } from './container-host-facts.js';
import { inspectViewCached } from './inspect-cache.js';
import { unpackedImageSize } from './layer-sizes.js';

export type ContainerService = ContainerEngine;

/** Docker's default grace period between the stop signal and SIGKILL. */
const defaultStopTimeout = 10;

export function createContainerService(ctx: EngineContext, images: ImageService): ContainerService {
  /** The record as it is: one whose monitor died is reconciled (exited, torn down) first. */
  const find = async (ref: string) => reconcile(ctx, ctx.metadata.findContainer(ref));

  const notRunning = (record: ContainerRecord, verb: string) =>
    errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Cannot ${verb} container: ${record.name}: Container ${record.id} is not running`);

  async function kill(ref: string, signal: string): Promise<void> {
    const record = await find(ref);
    if (!isActive(record) || !supervisorAlive(record)) throw notRunning(record, 'kill');
    // Killed by hand: the restart policy leaves it stopped, as Docker does.
    ctx.metadata.updateContainer(record.id, (r) => void (r.state.manuallyStopped = true));
    const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
    try {
      await driver.kill(record.id, signal);
      recordContainerEvent(ctx, record, 'kill', { signal: signalNumberText(signal) });
      await thawAfterKill(ctx, record, signal);
    } catch (err) {
      // It exited meanwhile: nothing left to signal.
      if (!isNotFound(err)) throw err;
    }
  }

  async function stop(ref: string, options: { timeout?: number; signal?: string } = {}): Promise<void> {
    const record = await find(ref);
    if (record.state.status === 'restarting') {
      // Waiting to restart: the waiting process sees the status change and gives up.
      ctx.metadata.updateContainer(record.id, (r) => {
        r.state = { ...r.state, status: 'exited', manuallyStopped: true };
        delete r.state.supervisor;
      });
      return;
    }
    if (!isActive(record)) return;
    const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
    ctx.metadata.updateContainer(record.id, (r) => void (r.state.manuallyStopped = true));
    const timeout = options.timeout ?? record.config.StopTimeout ?? defaultStopTimeout;
    const signal = options.signal ?? record.config.StopSignal ?? 'SIGTERM';
    const send = async (sig: string) => {
      try {
        await driver.kill(record.id, sig);
        recordContainerEvent(ctx, record, 'kill', { signal: signalNumberText(sig) });
        if (record.state.status === 'paused') await driver.resume(record.id);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    };
    if (timeout !== 0) {
      await send(signal);
      const after = await waitForExit(ctx, record.id, timeout < 0 ? {} : { timeoutMs: timeout * 1000 });
      if (after === undefined || !isActive(after)) return recordContainerEvent(ctx, record, 'stop');
    }
    await send('SIGKILL');
    await waitForExit(ctx, record.id);
    recordContainerEvent(ctx, record, 'stop');
  }

  const service: ContainerService = {
    // pause, unpause, rename, update, top, stats (container-control.ts)
    ...createContainerControl(ctx),
    // cp and export (container-files.ts); diff and commit (container-commit.ts); prune (container-prune.ts)
    ...createContainerFiles(ctx),
    ...createContainerCommits(ctx, images),
    prune: (options = {}, op) => withOperation(op, (own) => pruneContainers(ctx, options.filters ?? [], async (id) => void (await service.remove(id)), () => service.list({ all: true }), (m) => own.warn(m))),
    async create(options, op) {
      trace('create: start');
      const image = await images.resolve(options.image);
      trace('create: image resolved');
      // The request's warnings go back with it (the daemon's create answer lists them).
      return createContainer(ctx, image, options, op ? (m) => op.warn(m) : ctx.warn);
    },
    start: (ref, options = {}, op) => withOperation(op, async (own) => {
      const record = typeof ref === 'string' ? await find(ref) : ref;
      const selection = ctx.runtime(record.hostConfig.runtime || undefined);
      if (selection.warning) own.warn(selection.warning);
      // Docker answers the start of a running container with success (observed with dockerd 20.10).
      if (isActive(record)) return undefined;
      return startContainer(ctx, record, { ...options, ...(options.signal ?? own.signal ? { signal: options.signal ?? own.signal } : {}) });
    }),
    attach: async (ref, streams) => attachContainer(ctx, await find(ref), streams),
    async resize(ref, rows, cols) {
      const record = await find(ref);
      if (!isActive(record)) throw notRunning(record, 'resize');
      await resizeContainer(ctx, record, rows, cols);
    },
    kill,
    stop,
    async wait(ref, options = {}) {
      const record = await find(ref);
      const after = await waitForExit(ctx, record.id, options.signal ? { signal: options.signal } : {});
      return (after ?? record).state.exitCode;
    },
    logs: async (ref, options) => readLogs(ctx, await find(ref), options, (id) => find(id)),
    exec: async (ref, options, stdio) => execInContainer(ctx, await find(ref), options, stdio),
    execStreams: async (ref, options) => execStreamsInContainer(ctx, await find(ref), options),
    execOutcome: async (id, logFile, code) => execOutcome(ctx, await find(id), logFile, code),
    cleanup: (id) => cleanupAfterExit(ctx, id),
    async restartAfterBoot() {
      const started: string[] = [];
      const failed: { name: string; error: string }[] = [];
      for (const stale of ctx.metadata.listContainers()) {
        const record = await reconcile(ctx, stale);
        if (isActive(record) || record.state.status === 'restarting') continue;
        const policy = record.hostConfig.restartPolicy?.name ?? 'no';
        if (!(policy === 'always' || (policy === 'unless-stopped' && !record.state.manuallyStopped))) continue;
        // A container that ran before the reboot (it has started at least once).
        if (record.state.startedAt.startsWith('0001-')) continue;
        try {
          await startContainer(ctx, record);
          started.push(record.name);
        } catch (err) {
          failed.push({ name: record.name, error: err instanceof Error ? err.message : String(err) });
        }
      }
      return { started, failed };
    },
    healthcheck: (id) => runHealthCheck(ctx, id),
    inspect: async (ref) => find(ref),
    hostFacts: async (ref) => containerHostFacts(ctx, await find(ref)),
    inspectView: async (ref) => inspectViewCached(ctx, await find(ref)),
    async sizes(ref) {
      const record = await find(ref);
      // Docker's directory.Size: the bytes of the files in the writable layer (not blocks).
      const upper = await ctx.snapshots.upperDir(record.snapshotKey).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      const sizeRw = upper === undefined ? 0 : treeSize(upper);
      const image = await images.resolve(record.imageId).catch(() => undefined);
      const imageSize = image ? await unpackedImageSize(ctx, image) : 0;
      return { sizeRw, sizeRootFs: sizeRw + imageSize };
    },
    listingStamp: () => ctx.metadata.containersStamp?.(),
    list: async ({ all = false, filters = [] } = {}) => {
      const records = await Promise.all(ctx.metadata.listContainers().map((r) => reconcile(ctx, r)));
      // A status filter shows what it names, running or not (Docker: `ps --filter status=exited` without -a).
      const shown = records.filter((c) => all || filters.some((f) => f.startsWith('status=')) || isActive(c) || c.state.status === 'restarting');
      if (filters.length === 0) return shown;
      const imageIds = new Map<string, string | undefined>();
      for (const f of filters) {
        if (!f.startsWith('ancestor=')) continue;
        const ref = f.slice('ancestor='.length);
        imageIds.set(ref, await images.resolve(ref).then((i) => i.id as string, () => undefined));
      }
      return filterContainers(shown, filters, { resolveImage: (ref) => imageIds.get(ref), findContainer: (ref) => ctx.metadata.findContainer(ref) });
    },
    async remove(ref, { force = false, volumes = false } = {}) {
      const record = await find(ref);
      const live = isActive(record) || record.state.status === 'restarting';
      if (live && !force) {
        throw errors.failedPrecondition('CONTAINER_RUNNING', `You cannot remove a running container ${record.id}. Stop the container before attempting removal or force remove`);
      }
      if (live) {
        ctx.metadata.updateContainer(record.id, (r) => {
          r.state.status = 'removing';
          r.state.removing = selfProcess();
        });
        await stopInRuntime(ctx, record, true);
        // The monitor runs its clean-up when the container is gone; let it finish first.
        const monitor = record.state.supervisor;
        if (monitor !== undefined && processAlive(monitor)) await waitUntilGone(monitor);
      }
      await removeContainer(ctx, ctx.metadata.findContainer(record.id), { announce: !live });
      if (volumes) removeAnonymousVolumes(ctx, record);
      return record.name;
    },
  };
  return service;
}
