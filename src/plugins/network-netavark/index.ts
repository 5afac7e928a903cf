export { createNetavarkDriver } from './netavark-driver.js';
export type { NetavarkOptions } from './netavark-driver.js';
