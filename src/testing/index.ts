export * from './tars.js';
export * from './busybox.js';
