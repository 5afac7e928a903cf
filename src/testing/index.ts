export * from './tars.js';
export * from './busybox.js';
export * from './syscall-probe.js';
