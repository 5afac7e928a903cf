export type { ProbeResult, RunResult, RuntimeDriver, RuntimeState, Stdio } from './runtime-driver.js';
export type { CgroupScopes } from './cgroup-scopes.js';
