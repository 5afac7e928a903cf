export type { RunResult, RuntimeDriver, RuntimeState, Stdio } from './runtime-driver.js';
