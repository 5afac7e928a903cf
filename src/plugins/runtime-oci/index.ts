export { createOciRuntime, runtimeError } from './oci-runtime.js';
export type { OciRuntimeOptions } from './oci-runtime.js';
export { crunBlocker, findBinary, selectRuntime } from './select-runtime.js';
export type { RuntimeChoice } from './select-runtime.js';
