export type { ProbeResult, RunResult, RuntimeDriver, RuntimeState, SeccompFilters, Stdio, StreamedProcess } from './runtime-driver.js';
export type { CgroupFeatures, CgroupScopes, CgroupStats } from './cgroup-scopes.js';
