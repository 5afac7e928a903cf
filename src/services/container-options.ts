/**
 * The host side of the container options of issue 9 (`--ipc`, `--pid`, `--device`, `--init`,
 * `--group-add`, `--sysctl`, `--shm-size`, `--oom-score-adj`, the cpuset and memory reservation
 * limits, `--restart`, `--stop-signal`): checked at create time against this host and the store,
 * as Docker's daemon checks them, and turned into bundle input at start (other containers'
 * namespaces by `/proc/<pid>/ns` path, device nodes by stat(2)).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { errnoCode, errors } from '../base/index.js';
import type { ContainerRecord, HostConfig } from '../core/containers/index.js';
import { checkBlkioWeight, checkMemorySwappiness, checkSysctls, joinedContainer, parseCpuset, parseDeviceCgroupRule, signalNumber } from '../core/containers/index.js';
import { isMounted, mountAll, unmountAll } from '../core/mount/index.js';
import type { DeviceNode, IpcNamespace, PidNamespace, ResourceLimits } from '../core/spec/index.js';
import { DEFAULT_SHM_SIZE } from '../core/spec/index.js';
import type { BuildStepLimits, CreateContainerOptions } from '../api/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';
import type { EngineContext } from './engine-context.js';
import type { ProcessBundleInput } from './process-bundle.js';
import { cgroupLimits, checkBlockIoDevices, majorMinor } from './cgroup-limits.js';

/** Static init binaries that run in any root: Debian's tini-static (package `tini`), Docker's docker-init. */
const initCandidates = ['/usr/bin/tini-static', '/usr/libexec/docker/docker-init', '/usr/bin/docker-init'];

/** The init binary `--init` mounts, or notFound `BERTH_E_INIT_NOT_FOUND`. */
export function initBinary(): string {
  const found = initCandidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw errors.notFound('INIT_NOT_FOUND', `Cannot use --init: no static init binary found (looked for ${initCandidates.join(', ')}; scripts/setup.sh installs Debian's tini)`);
  }
  return found;
}

/** Docker's minimum memory reservation. */
const MIN_MEMORY_RESERVATION = 6 * 2 ** 20;

/**
 * Checks the issue-9 options of a new container (or an update) against Docker's rules and this
 * host. Throws invalidArgument (`BERTH_E_INVALID_RESTART_POLICY`, `BERTH_E_INVALID_SIGNAL`,
 * `BERTH_E_INVALID_SYSCTL`, `BERTH_E_INVALID_CPUSET`, `BERTH_E_INVALID_RESOURCES`), notFound for
 * a missing device, init binary or joined container.
 */
export function validateContainerOptions(
  ctx: EngineContext,
  host: HostConfig,
  config?: Pick<ContainerRecord['config'], 'StopSignal' | 'StopTimeout' | 'Domainname'>,
  hostnameGiven = false,
): void {
  const policy = host.restartPolicy;
  if (policy !== undefined && policy.name !== 'no' && host.autoRemove) {
    throw errors.invalidArgument('RESTART_WITH_RM', 'conflicting options: cannot specify both --restart and --rm');
  }
  if (policy !== undefined && policy.name !== 'on-failure' && policy.maximumRetryCount !== 0) {
    throw errors.invalidArgument('INVALID_RESTART_POLICY', `maximum retry count cannot be used with restart policy '${policy.name}'`);
  }
  if (config?.StopSignal) signalNumber(config.StopSignal);
  if (config?.StopTimeout !== undefined && !Number.isInteger(config.StopTimeout)) {
    throw errors.invalidArgument('INVALID_STOP_TIMEOUT', `Invalid stop timeout "${config.StopTimeout}": must be a whole number of seconds`);
  }
  if (host.oomScoreAdj !== undefined && !(Number.isInteger(host.oomScoreAdj) && host.oomScoreAdj >= -1000 && host.oomScoreAdj <= 1000)) {
    throw errors.invalidArgument('INVALID_OOM_SCORE_ADJ', `Invalid value ${host.oomScoreAdj}, range for oom score adj is [-1000, 1000]`);
  }
  validateResources(host);
  checkSysctls(host.sysctls ?? {}, { network: host.networkMode, ipc: host.ipcMode ?? 'private' });
  if (host.shmSize !== undefined && !(Number.isSafeInteger(host.shmSize) && host.shmSize >= 0)) {
    throw errors.invalidArgument('INVALID_SHM_SIZE', `Invalid --shm-size "${host.shmSize}": must be a size of 0 or more bytes`);
  }
  for (const mode of [host.ipcMode, host.pidMode]) {
    const other = joinedContainer(mode);
    if (other !== undefined) ctx.metadata.findContainer(other);
  }
  for (const d of host.devices ?? []) deviceNodes(d.pathOnHost, d.pathInContainer, d.cgroupPermissions);
  if (host.init) initBinary();
  if (host.utsMode === 'host') {
    // dockerd's message for a hostname; a domain name would fail in the runtime: the host's UTS namespace keeps its names.
    if (hostnameGiven) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: hostname and the UTS mode');
    if (config?.Domainname) throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: domainname and the UTS mode');
  }
  if (host.memorySwappiness !== undefined) checkMemorySwappiness(host.memorySwappiness);
  if (host.blkioWeight !== undefined) checkBlkioWeight(host.blkioWeight);
  for (const rule of host.deviceCgroupRules ?? []) parseDeviceCgroupRule(rule);
  checkBlockIoDevices(host);
}

/** The resource limits shared by create and update: cpuset within this host's, memory reservation, CPU shares. */
export function validateResources(host: Pick<HostConfig, 'cpusetCpus' | 'cpusetMems' | 'memoryReservation' | 'memory' | 'cpuShares'>): void {
  for (const [what, value] of [['cpus', host.cpusetCpus], ['mems', host.cpusetMems]] as const) {
    if (value === undefined || value === '') continue;
    const wanted = parseCpuset(value, what);
    const text = availableCpuset(what);
    const available = new Set(parseCpuset(text, what));
    if (!wanted.every((n) => available.has(n))) {
      const noun = what === 'cpus' ? 'CPUs' : 'memory nodes';
      throw errors.invalidArgument('INVALID_CPUSET', `Requested ${noun} are not available - requested ${value}, available: ${text}`);
    }
  }
  const reservation = host.memoryReservation;
  if (reservation !== undefined && reservation > 0) {
    if (reservation < MIN_MEMORY_RESERVATION) throw errors.invalidArgument('INVALID_RESOURCES', 'Minimum memory reservation allowed is 6MB');
    if (host.memory !== undefined && host.memory > 0 && host.memory < reservation) {
      throw errors.invalidArgument('INVALID_RESOURCES', 'Minimum memory limit can not be less than memory reservation limit, see usage');
    }
  }
  if (host.cpuShares !== undefined && host.cpuShares !== 0 && (host.cpuShares < 2 || host.cpuShares > 262144)) {
    throw errors.invalidArgument('INVALID_RESOURCES', `Invalid --cpu-shares ${host.cpuShares}: the allowed range is 2 to 262144`);
  }
}

/** A build's RUN step limits, checked as a container's before anything is built (dockerd's messages). */
export function validateBuildStepLimits(limits: BuildStepLimits): void {
  validateResources(limits);
  const { memory, memorySwap } = limits;
  if (memorySwap !== undefined && memorySwap !== -1 && memorySwap !== 0) {
    if (!(memory !== undefined && memory > 0)) throw errors.invalidArgument('INVALID_RESOURCES', 'You should always set the Memory limit when using Memoryswap limit, see usage');
    if (memorySwap < memory) throw errors.invalidArgument('INVALID_RESOURCES', 'Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (limits.shmSize !== undefined && !(Number.isSafeInteger(limits.shmSize) && limits.shmSize >= 0)) {
    throw errors.invalidArgument('INVALID_SHM_SIZE', `Invalid --shm-size "${limits.shmSize}": must be a size of 0 or more bytes`);
  }
}

/** The CPUs (or memory nodes) containers may use: the root cpuset's, as Docker reads them. */
function availableCpuset(what: 'cpus' | 'mems'): string {
  const candidates = what === 'cpus'
    ? ['/sys/fs/cgroup/cpuset/cpuset.cpus', '/sys/fs/cgroup/cpuset.cpus.effective', '/sys/devices/system/cpu/online']
    : ['/sys/fs/cgroup/cpuset/cpuset.mems', '/sys/fs/cgroup/cpuset.mems.effective', '/sys/devices/system/node/online'];
  for (const path of candidates) {
    try {
      const text = readFileSync(path, 'utf8').trim();
      if (text !== '') return text;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  return '0';
}

/**
 * The device nodes `--device HOST:CONTAINER:PERMS` gives: the node itself, or every device node
 * below a directory (as Docker does). NotFound `BERTH_E_DEVICE_NOT_FOUND` with Docker's message.
 */
export function deviceNodes(pathOnHost: string, pathInContainer: string, access: string): DeviceNode[] {
  const fail = (why: string, cause?: unknown) =>
    errors.notFound('DEVICE_NOT_FOUND', `error gathering device information while adding custom device "${pathOnHost}": ${why}`, cause ? { cause } : undefined);
  let st;
  try {
    st = statSync(pathOnHost, { bigint: true });
  } catch (err) {
    throw fail(errnoCode(err) === 'ENOENT' ? 'no such file or directory' : (err as Error).message, err);
  }
  if (st.isDirectory()) {
    const out: DeviceNode[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.isCharacterDevice() || entry.isBlockDevice()) out.push(...deviceNodes(path, join(pathInContainer, relative(pathOnHost, path)), access));
      }
    };
    walk(pathOnHost);
    return out;
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw fail('not a device node');
  const { major, minor } = majorMinor(st.rdev);
  return [{
    path: pathInContainer, type: st.isCharacterDevice() ? 'c' : 'b', major, minor,
    fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), access,
  }];
}

/**
 * A shareable container's /dev/shm lives on the host (`<container dir>/shm`, a tmpfs), as
 * Docker's does, so that containers joining its IPC namespace can bind-mount it too: a mount
 * of another mount namespace (`/proc/<pid>/root/dev/shm`) cannot be bind-mounted.
 */
const shmDir = (ctx: EngineContext, id: string) => join(ctx.paths.containers, id, 'shm');

function mountShm(ctx: EngineContext, id: string, size: number): string {
  const dir = shmDir(ctx, id);
  mkdirSync(dir, { recursive: true });
  if (!isMounted(dir, readFileSync('/proc/self/mountinfo', 'utf8'))) {
    mountAll([{ type: 'tmpfs', source: 'shm', options: ['mode=1777', `size=${size}`] }], dir);
  }
  return dir;
}

/** Unmounts a shareable container's /dev/shm (when it stops or is removed); nothing when it has none. */
export async function releaseShm(ctx: EngineContext, record: ContainerRecord): Promise<void> {
  if (record.hostConfig.ipcMode === 'shareable') await unmountAll(shmDir(ctx, record.id));
}

/** The init pid of a running container the new one joins (`--ipc`/`--pid container:NAME`). */
async function joinedPid(ctx: EngineContext, ref: string, what: 'IPC' | 'PID', check?: (donor: ContainerRecord) => void): Promise<number> {
  const donor = ctx.metadata.findContainer(ref);
  const notRunning = () => errors.failedPrecondition('JOINED_CONTAINER_NOT_RUNNING', `cannot join ${what} of a non running container: ${donor.id}`);
  if (donor.state.status !== 'running' && donor.state.status !== 'paused') throw notRunning();
  check?.(donor);
  let pid = 0;
  try {
    const state = await ctx.runtime(donor.hostConfig.runtime || undefined).driver.state(donor.id);
    if (state.status === 'running' || state.status === 'paused') pid = state.pid;
  } catch {
    // gone from the runtime meanwhile: not running
  }
  if (!(pid > 0)) throw notRunning();
  return pid;
}

/**
 * What the issue-9 options add to a container's bundle: namespaces joined, devices, init, groups,
 * sysctls, /dev/shm size, OOM score and the extra resource limits.
 */
export async function containerBundleOptions(ctx: EngineContext, record: ContainerRecord): Promise<Partial<ProcessBundleInput> & { resources: ResourceLimits }> {
  const host = record.hostConfig;
  const out: Partial<ProcessBundleInput> & { resources: ResourceLimits } = { resources: {} };
  const ipcMode = host.ipcMode ?? 'private';
  const ipcDonor = joinedContainer(ipcMode);
  let ipc: IpcNamespace | undefined;
  if (ipcDonor !== undefined) {
    let donorMode = 'private';
    let donorId = '';
    const pid = await joinedPid(ctx, ipcDonor, 'IPC', (donor) => {
      donorMode = donor.hostConfig.ipcMode ?? 'private';
      donorId = donor.id;
      if (donorMode !== 'shareable' && donorMode !== 'host') {
        throw errors.failedPrecondition('IPC_NOT_SHAREABLE', `can't join IPC of container ${donor.id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
      }
    });
    ipc = donorMode === 'host' ? { mode: 'host' } : { mode: 'join', path: `/proc/${pid}/ns/ipc`, shm: shmDir(ctx, donorId) };
  } else if (ipcMode === 'host' || ipcMode === 'none') {
    ipc = { mode: ipcMode };
  } else if (ipcMode === 'shareable') {
    ipc = { mode: 'private', shm: mountShm(ctx, record.id, host.shmSize ?? DEFAULT_SHM_SIZE) };
  }
  if (ipc) out.ipc = ipc;
  const pidDonor = joinedContainer(host.pidMode);
  let pid: PidNamespace | undefined;
  if (pidDonor !== undefined) pid = { mode: 'join', path: `/proc/${await joinedPid(ctx, pidDonor, 'PID')}/ns/pid` };
  else if (host.pidMode === 'host') pid = { mode: 'host' };
  if (pid) out.pid = pid;
  if (host.devices?.length) out.devices = host.devices.flatMap((d) => deviceNodes(d.pathOnHost, d.pathInContainer, d.cgroupPermissions));
  if (host.init) out.init = { path: initBinary() };
  if (host.groupAdd?.length) out.groupAdd = host.groupAdd;
  if (host.sysctls && Object.keys(host.sysctls).length > 0) out.sysctls = host.sysctls;
  if (host.shmSize !== undefined && host.shmSize > 0) out.shmSize = host.shmSize;
  if (host.oomScoreAdj !== undefined) out.oomScoreAdj = host.oomScoreAdj;
  if (host.cpuShares !== undefined && host.cpuShares > 0) out.resources.cpuShares = host.cpuShares;
  if (host.cpusetCpus) out.resources.cpusetCpus = host.cpusetCpus;
  if (host.cpusetMems) out.resources.cpusetMems = host.cpusetMems;
  if (host.memoryReservation !== undefined && host.memoryReservation > 0) out.resources.memoryReservation = host.memoryReservation;
  Object.assign(out.resources, cgroupLimits(host));
  if (host.deviceCgroupRules?.length) out.deviceRules = host.deviceCgroupRules.map((rule) => ({ allow: true, ...parseDeviceCgroupRule(rule) }));
  if (host.utsMode === 'host') out.uts = 'host';
  if (host.cgroupnsMode === 'host') out.cgroupns = 'host';
  if (host.annotations && Object.keys(host.annotations).length > 0) out.annotations = { ...host.annotations };
  if (host.maskedPaths) out.maskedPaths = host.maskedPaths;
  if (host.readonlyPaths) out.readonlyPaths = host.readonlyPaths;
  return out;
}

/** Config.Labels (the image's, then `--label`), Config.StopSignal and Config.StopTimeout of a new container. */
export function configOptions(
  image: ImageRuntimeConfig,
  options: Pick<CreateContainerOptions, 'labels' | 'stopSignal' | 'stopTimeout'>,
): Partial<ContainerRecord['config']> {
  const out: Partial<ContainerRecord['config']> = {};
  if (options.labels !== undefined && Object.keys(options.labels).length > 0) out.Labels = { ...image.Labels, ...options.labels };
  if (options.stopSignal !== undefined) out.StopSignal = options.stopSignal;
  if (options.stopTimeout !== undefined) out.StopTimeout = options.stopTimeout;
  return out;
}
