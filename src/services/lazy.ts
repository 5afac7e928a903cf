/**
 * Modules that only some commands need, loaded on first use so that the hot path (`berth run`
 * of an unpacked image) never parses the tar machinery.
 */
export const loadDiff = () => import('../core/diff/index.js');
