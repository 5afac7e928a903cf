/**
 * Commands on an existing container that do not start or stop it: pause/unpause (the runtime's
 * freezer), rename, update (resource limits through the runtime's `update`, restart policy),
 * top (the cgroup's processes through host `ps`) and stats (cgroup counters). They act on the
 * runtime's and the cgroup's state, whoever supervises the container (a foreground `berth run`
 * or a monitor).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

import { errors, isBerthError, isNotFound } from '../base/index.js';
import type { ContainerRecord, HostConfig } from '../core/containers/index.js';
import { assertTransition, checkBlkioWeight, validateContainerName } from '../core/containers/index.js';
import { joinsNetworks } from '../core/network/index.js';
import type { RuntimeState } from '../core/runtime/index.js';
import { resourceUpdate } from '../core/spec/index.js';
import type { ContainerEngine, ContainerUpdate, ProcessList, StatsSample } from '../api/index.js';
import { containerNetworkIo } from './container-net-stats.js';
import type { EngineContext } from './engine-context.js';
import { validateResources } from './container-options.js';
import { recordContainerEvent } from './events.js';
import { resumeKilled } from './container-lifecycle.js';
import { fitToHostCgroups } from './cgroup-limits.js';

type Control = Pick<ContainerEngine, 'pause' | 'unpause' | 'rename' | 'update' | 'top' | 'stats'>;

export function createContainerControl(ctx: EngineContext): Control {
  const driverOf = (record: ContainerRecord) => ctx.runtime(record.hostConfig.runtime || undefined).driver;

  /** The runtime's view of the container, undefined when the runtime does not have it (not running). */
  async function runtimeState(record: ContainerRecord): Promise<RuntimeState | undefined> {
    if (record.state.status !== 'running' && record.state.status !== 'paused') return undefined;
    try {
      const state = await driverOf(record).state(record.id);
      return state.status === 'running' || state.status === 'paused' ? state : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  const notRunning = (record: ContainerRecord) => errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Container ${record.id} is not running`);

  return {
    async pause(ref) {
      const record = ctx.metadata.findContainer(ref);
      if (record.state.status === 'paused') throw errors.failedPrecondition('CONTAINER_PAUSED', `Container ${record.id} is already paused`);
      const state = await runtimeState(record);
      if (state === undefined) throw notRunning(record);
      if (state.status !== 'paused') await driverOf(record).pause(record.id);
      // crun 1.8 returns while a busy cgroup v1 is still FREEZING: wait until the kernel says frozen.
      for (let i = 0; i < 200 && !ctx.cgroups.frozen(record.id); i++) await new Promise((r) => setTimeout(r, 10));
      ctx.metadata.updateContainer(record.id, (r) => {
        assertTransition(r, 'paused');
        r.state.status = 'paused';
      });
      recordContainerEvent(ctx, record, 'pause');
    },
    async unpause(ref) {
      const record = ctx.metadata.findContainer(ref);
      if (record.state.status !== 'paused') throw errors.failedPrecondition('CONTAINER_NOT_PAUSED', `Container ${record.id} is not paused`);
      const state = await runtimeState(record);
      if (state?.status === 'paused') await driverOf(record).resume(record.id);
      ctx.metadata.updateContainer(record.id, (r) => {
        // Exited (or removed) meanwhile: nothing to record.
        if (r.state.status === 'paused') r.state.status = 'running';
      });
      recordContainerEvent(ctx, record, 'unpause');
    },
    async rename(ref, name) {
      const record = ctx.metadata.findContainer(ref);
      const bare = validateContainerName(name);
      if (bare === record.name) throw errors.invalidArgument('SAME_NAME', 'Renaming a container with the same name as its current name');
      try {
        ctx.metadata.updateContainer(record.id, (r) => void (r.name = bare));
      } catch (err) {
        if (!isBerthError(err) || err.code !== 'BERTH_E_CONTAINER_NAME_IN_USE') throw err;
        const owner = ctx.metadata.findContainer(bare).id;
        throw errors.alreadyExists(
          'CONTAINER_NAME_IN_USE',
          `Error when allocating new name: Conflict. The container name "/${bare}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
          { cause: err },
        );
      }
      recordContainerEvent(ctx, { ...record, name: bare }, 'rename', { oldName: `/${record.name}` });
    },
    async update(ref, requested, op) {
      const record = ctx.metadata.findContainer(ref);
      const changes = { ...requested };
      if (changes.blkioWeight !== undefined) {
        checkBlkioWeight(changes.blkioWeight);
        // As at create: dropped with dockerd's warning where the host has no weight to set. The
        // update's setting alone, as dockerd checks an update: the container's others said theirs at create.
        const fitted: ContainerUpdate = { blkioWeight: changes.blkioWeight };
        const warn = op ? (m: string) => op.warn(m) : ctx.warn;
        for (const warning of fitToHostCgroups(fitted, ctx.cgroups.features())) warn(warning);
        if (fitted.blkioWeight === undefined) delete changes.blkioWeight;
      }
      const host = updatedHostConfig(record, changes);
      const state = await runtimeState(record);
      if (state !== undefined && touchesResources(changes)) {
        try {
          await driverOf(record).update(record.id, resourceUpdate(record.id, {
            ...(host.memory !== undefined ? { memory: host.memory } : {}),
            ...(host.memorySwap !== undefined ? { memorySwap: host.memorySwap } : {}),
            ...(host.memoryReservation !== undefined ? { memoryReservation: host.memoryReservation } : {}),
            ...(host.nanoCpus !== undefined ? { cpus: host.nanoCpus / 1e9 } : {}),
            ...(host.cpuShares !== undefined ? { cpuShares: host.cpuShares } : {}),
            ...(host.cpusetCpus !== undefined ? { cpusetCpus: host.cpusetCpus } : {}),
            ...(host.cpusetMems !== undefined ? { cpusetMems: host.cpusetMems } : {}),
            // -1 lifts a limit that was set (the record then holds none).
            ...(changes.pidsLimit !== undefined ? { pidsLimit: changes.pidsLimit > 0 ? changes.pidsLimit : -1 } : host.pidsLimit !== undefined ? { pidsLimit: host.pidsLimit } : {}),
            ...(changes.blkioWeight ? { blockIO: { weight: changes.blkioWeight } } : {}),
          }));
        } catch (err) {
          throw errors.failedPrecondition('UPDATE_FAILED', `Cannot update container ${record.id}: ${(err as Error).message}`, { cause: err });
        }
      }
      return ctx.metadata.updateContainer(record.id, (r) => {
        r.hostConfig = { ...r.hostConfig, ...pick(host, changes) };
        if (changes.pidsLimit !== undefined && changes.pidsLimit <= 0) delete r.hostConfig.pidsLimit;
      });
    },
    async top(ref, psArgs = ['-ef']) {
      const record = ctx.metadata.findContainer(ref);
      if ((await runtimeState(record)) === undefined) throw notRunning(record);
      const args = psArgs.length > 0 ? [...psArgs] : ['-ef'];
      const bad = /\s+([^\s]*)=\s*(PID[^\s]*)/.exec(` ${args.join(' ')}`);
      if (bad && bad[1] !== 'pid') throw errors.invalidArgument('INVALID_PS_ARGS', `specifying "${bad[1]}=${bad[2]}" is not allowed`);
      const pids = ctx.cgroups.processes(record.id);
      let output: string;
      try {
        // `-q PIDS` makes ps look at the container's processes only; some options (f) refuse it.
        output = pids.length > 0 ? await ps([...args, '-q', pids.join(',')]) : await ps(args);
      } catch {
        output = await ps(args);
      }
      return parsePsOutput(output, new Set(pids));
    },
    async stats(ref) {
      const record = ctx.metadata.findContainer(ref);
      const running = (await runtimeState(record)) !== undefined;
      const cgroup = running ? ctx.cgroups.stats(record.id) : undefined;
      const { systemCpuNs, onlineCpus } = hostCpu();
      const sample: StatsSample = {
        id: record.id, name: record.name, running, readAt: Date.now(), systemCpuNs, onlineCpus, hostMemory: totalmem(),
      };
      if (cgroup) sample.cgroup = cgroup;
      const network = running ? containerNetworkIo(record.state.pid, !joinsNetworks(record.hostConfig.networkMode)) : undefined;
      if (network) sample.network = network;
      return sample;
    },
  };
}

/**
 * After a SIGKILL sent to a paused container: thaw it, as Docker does, since a frozen process
 * acts on no signal (cgroup v1) until it is thawed. The record goes back to running; the exit
 * follows.
 */
export async function thawAfterKill(ctx: EngineContext, record: ContainerRecord, signal: string): Promise<void> {
  if (!/^(SIG)?KILL$|^9$/i.test(signal) || ctx.metadata.findContainer(record.id).state.status !== 'paused') return;
  await resumeKilled(ctx.runtime(record.hostConfig.runtime || undefined).driver, ctx.metadata.findContainer(record.id));
  ctx.metadata.updateContainer(record.id, (r) => {
    if (r.state.status === 'paused') r.state.status = 'running';
  });
}

const resourceKeys = ['memory', 'memorySwap', 'memoryReservation', 'nanoCpus', 'cpuShares', 'cpusetCpus', 'cpusetMems', 'pidsLimit', 'blkioWeight'] as const;
const touchesResources = (changes: ContainerUpdate) => resourceKeys.some((k) => changes[k] !== undefined);

/** The fields `update` changes, taken from the merged config (memorySwap too when memory changed). */
function pick(host: HostConfig, changes: ContainerUpdate): Partial<HostConfig> {
  const out: Partial<HostConfig> = {};
  for (const key of [...resourceKeys, 'restartPolicy'] as const) {
    if (changes[key] !== undefined || (key === 'memorySwap' && changes.memory !== undefined)) (out as Record<string, unknown>)[key] = host[key];
  }
  if (changes.pidsLimit !== undefined && changes.pidsLimit <= 0) delete out.pidsLimit;
  return out;
}

/** The host config after `changes`, checked as Docker checks an update (its messages). */
function updatedHostConfig(record: ContainerRecord, changes: ContainerUpdate): HostConfig {
  const old = record.hostConfig;
  const host: HostConfig = { ...old };
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) (host as unknown as Record<string, unknown>)[key] = value;
  if (changes.restartPolicy !== undefined && changes.restartPolicy.name !== 'no' && old.autoRemove) {
    throw errors.invalidArgument('RESTART_WITH_RM', 'Restart policy cannot be updated because AutoRemove is enabled for the container');
  }
  if (changes.memory !== undefined && changes.memorySwap === undefined) {
    // Docker records memory+swap as twice the memory at create; an update keeps that value.
    const swap = old.memorySwap ?? (old.memory ? 2 * old.memory : undefined);
    if (swap !== undefined && swap !== -1 && changes.memory > swap) {
      throw errors.invalidArgument('INVALID_RESOURCES', `Cannot update container ${record.id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`);
    }
    if (swap !== undefined) host.memorySwap = swap;
  }
  if (host.memorySwap !== undefined && host.memorySwap !== -1) {
    if (!(host.memory !== undefined && host.memory > 0)) throw errors.invalidArgument('INVALID_RESOURCES', 'You should always set the Memory limit when using Memoryswap limit, see usage');
    if (host.memorySwap < host.memory) throw errors.invalidArgument('INVALID_RESOURCES', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (changes.memory !== undefined && changes.memory > 0 && changes.memory < 6 * 2 ** 20) throw errors.invalidArgument('INVALID_RESOURCES', 'Minimum memory limit allowed is 6MB');
  if (changes.nanoCpus !== undefined && changes.nanoCpus < 1e7) throw errors.invalidArgument('INVALID_CPUS', 'Range of CPUs is from 0.01');
  validateResources(host);
  return host;
}

function ps(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(errors.unknown('PS_FAILED', `Error running ps: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve(stdout);
    });
  });
}

/**
 * ps's output restricted to `pids`, as Docker's daemon reads it: titles from the header, the
 * PID column found by name, the overhanging last column joined, thread lines (`-`) kept after
 * a process of the container.
 */
export function parsePsOutput(output: string, pids: ReadonlySet<number>): ProcessList {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw errors.invalidArgument('PS_NO_PID', "Couldn't find PID field in ps output");
  const processes: string[][] = [];
  let previousIn = false;
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const field = fields[pidIndex] ?? '';
    const add = () => processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
    if (field === '-') {
      if (previousIn) add();
      continue;
    }
    if (!/^\d+$/.test(field)) throw errors.invalidArgument('PS_UNEXPECTED_PID', `Unexpected pid '${field}'`);
    previousIn = pids.has(Number(field));
    if (previousIn) add();
  }
  return { titles, processes };
}

/** The host's CPU time so far (all CPUs, nanoseconds) and its number of CPUs, from /proc/stat. */
function hostCpu(): { systemCpuNs: number; onlineCpus: number } {
  const text = readFileSync('/proc/stat', 'utf8');
  const total = /^cpu\s+(.*)$/m.exec(text)?.[1] ?? '';
  // USER_HZ is 100 on every Linux architecture berth runs on.
  const ticks = total.trim().split(/\s+/).slice(0, 8).reduce((sum, n) => sum + Number(n), 0);
  const onlineCpus = (text.match(/^cpu\d+\s/gm) ?? []).length || 1;
  return { systemCpuNs: ticks * 1e7, onlineCpus };
}
