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
