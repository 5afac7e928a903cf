import { shortId } from '../base/index.js';
import type { StatsSample } from './engine.js';

/** A row of `docker stats`, its fields as the docker CLI's stats formatter names them. */
export interface StatsRow {
  /** What the user named (or the short id when listing). */
  Container: string;
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

/**
 * A `stats` row from two samples of one container, computed as the docker CLI does: CPU % is
 * the container's CPU time over the host's in the interval times the host's CPUs; memory is
 * the usage less inactive file cache, against the limit (the host's memory when unlimited);
 * network I/O is bytes received / sent on the container's interfaces (`0B / 0B` on the host's network).
 */
export function statsRow(previous: StatsSample | undefined, current: StatsSample, options: { container?: string; trunc?: boolean } = {}): StatsRow {
  const cg = current.cgroup;
  let cpuPercent = 0;
  if (cg && previous?.cgroup) {
    const cpuDelta = cg.cpuUsageNs - previous.cgroup.cpuUsageNs;
    const systemDelta = current.systemCpuNs - previous.systemCpuNs;
    if (systemDelta > 0 && cpuDelta > 0) cpuPercent = (cpuDelta / systemDelta) * current.onlineCpus * 100;
  }
  const usage = cg ? (cg.memoryInactiveFile < cg.memoryUsage ? cg.memoryUsage - cg.memoryInactiveFile : cg.memoryUsage) : 0;
  const limit = cg ? Math.min(cg.memoryLimit ?? current.hostMemory, current.hostMemory) : 0;
  const id = options.trunc === false ? current.id : shortId(current.id);
  return {
    Container: options.container ?? id,
    ID: id,
    Name: current.name,
    CPUPerc: `${cpuPercent.toFixed(2)}%`,
    MemUsage: `${binarySize(usage)} / ${binarySize(limit)}`,
    MemPerc: `${(limit > 0 ? (usage / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${decimalSize(current.network?.rxBytes ?? 0)} / ${decimalSize(current.network?.txBytes ?? 0)}`,
    BlockIO: `${decimalSize(cg?.blockRead ?? 0)} / ${decimalSize(cg?.blockWrite ?? 0)}`,
    PIDs: String(cg?.pids ?? 0),
  };
}

/** go-units BytesSize: binary units, 4 significant digits ("560KiB", "23.54GiB"). */
export function binarySize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(4))}${units[unit]}`;
}

/** go-units HumanSizeWithPrecision(n, 3): decimal units ("0B", "1.23MB"). */
function decimalSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))}${units[unit]}`;
}

const zeroTime = '0001-01-01T00:00:00Z';

/** Docker's cpu_stats/precpu_stats of a sample (zeros without one, as dockerd's empty precpu). */
function cpuStatsJson(sample: StatsSample | undefined) {
  const throttling = { periods: 0, throttled_periods: 0, throttled_time: 0 };
  if (!sample?.cgroup) return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: throttling };
  return {
    cpu_usage: { total_usage: sample.cgroup.cpuUsageNs, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: sample.systemCpuNs,
    online_cpus: sample.onlineCpus,
    throttling_data: throttling,
  };
}

/**
 * The Engine API's stats object (GET /containers/{id}/stats, dockerd 20.10's StatsJSON), from
 * which the docker CLI computes its row: CPU % from cpu_stats and precpu_stats (`previous`, the
 * sample a second before; zeros without one), memory as usage less the inactive file cache
 * (`total_inactive_file` on cgroup v1, `inactive_file` on v2) against `limit`, block I/O from the
 * `read`/`write` entries, network from `networks` (absent for a container on the host's
 * network or none). A container that is not running gives dockerd's empty object.
 */
export function statsJson(previous: StatsSample | undefined, current: StatsSample, cgroupVersion: '1' | '2') {
  const cg = current.cgroup;
  const blkio = (entries: unknown[] | null) => ({
    io_service_bytes_recursive: entries, io_serviced_recursive: entries === null ? null : [], io_queue_recursive: entries === null ? null : [],
    io_service_time_recursive: entries === null ? null : [], io_wait_time_recursive: entries === null ? null : [], io_merged_recursive: entries === null ? null : [],
    io_time_recursive: entries === null ? null : [], sectors_recursive: entries === null ? null : [],
  });
  const identity = { name: `/${current.name}`, id: current.id };
  if (!cg) {
    return {
      read: zeroTime, preread: zeroTime, pids_stats: {}, blkio_stats: blkio(null), num_procs: 0, storage_stats: {},
      cpu_stats: cpuStatsJson(undefined), precpu_stats: cpuStatsJson(undefined), memory_stats: {}, ...identity,
    };
  }
  const v1 = cgroupVersion === '1';
  const limit = Math.min(cg.memoryLimit ?? current.hostMemory, current.hostMemory);
  const op = (name: 'read' | 'write') => (v1 ? name[0]!.toUpperCase() + name.slice(1) : name);
  return {
    read: new Date(current.readAt).toISOString(),
    preread: previous?.cgroup ? new Date(previous.readAt).toISOString() : zeroTime,
    pids_stats: { current: cg.pids },
    blkio_stats: blkio([{ major: 0, minor: 0, op: op('read'), value: cg.blockRead }, { major: 0, minor: 0, op: op('write'), value: cg.blockWrite }]),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStatsJson(current),
    precpu_stats: cpuStatsJson(previous),
    memory_stats: {
      usage: cg.memoryUsage,
      stats: v1 ? { total_inactive_file: cg.memoryInactiveFile, inactive_file: cg.memoryInactiveFile } : { inactive_file: cg.memoryInactiveFile },
      limit,
    },
    ...identity,
    ...(current.network ? {
      networks: {
        eth0: {
          rx_bytes: current.network.rxBytes, rx_packets: 0, rx_errors: 0, rx_dropped: 0,
          tx_bytes: current.network.txBytes, tx_packets: 0, tx_errors: 0, tx_dropped: 0,
        },
      },
    } : {}),
  };
}
