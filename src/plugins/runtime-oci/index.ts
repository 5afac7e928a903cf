export { createOciRuntime, runtimeError } from './oci-runtime.js';
export type { OciRuntimeOptions } from './oci-runtime.js';
export { crunBlocker, defaultRuntimeConditions, findBinary, selectRuntime } from './select-runtime.js';
export type { RuntimeChoice } from './select-runtime.js';
