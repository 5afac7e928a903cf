export type { ProbeResult, RunResult, RuntimeDriver, RuntimeState, Stdio } from './runtime-driver.js';
export type { CgroupScopes, CgroupStats } from './cgroup-scopes.js';
