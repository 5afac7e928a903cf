/**
 * A CFS quota per period (`--cpu-quota`/`--cpu-period`, HostConfig.CpuQuota/CpuPeriod) as berth's
 * one CPU limit: a number of CPUs in billionths (NanoCpus), the same ratio cgroups' cpu.max holds.
 * Docker's rules and messages; `names` are how the caller's user spells the two settings.
 */
import { errors } from '../base/index.js';

export function nanoCpusOfQuota(quota: number, period: number, names: { quota: string; period: string }, nanoCpusGiven: boolean): number | undefined {
  if (nanoCpusGiven && (quota > 0 || period > 0)) {
    throw errors.invalidArgument('CONFLICTING_OPTIONS', 'Conflicting options: Nano CPUs and CPU Period/Quota cannot both be set');
  }
  if (quota > 0) {
    if (period !== 0 && (period < 1000 || period > 1_000_000)) {
      throw errors.invalidArgument('INVALID_CPU_PERIOD', 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
    }
    if (quota < 1000) throw errors.invalidArgument('INVALID_CPU_QUOTA', 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
    return Math.round((quota / (period || 100_000)) * 1e9);
  }
  if (period !== 0) {
    throw errors.invalidArgument('UNSUPPORTED_FIELD', `${names.period} is not supported by berth: a CFS period without a quota (${names.quota}) sets no limit; give both, or a number of CPUs`);
  }
  if (quota < 0 && quota !== -1) throw errors.invalidArgument('INVALID_CPU_QUOTA', `${names.quota} can not be negative`);
  return undefined;
}
