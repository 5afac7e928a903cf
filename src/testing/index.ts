export * from './tars.js';
export * from './busybox.js';
export * from './syscall-probe.js';
export * from './fuzz.js';
export * from './hostile-tars.js';
export * from './python.js';
