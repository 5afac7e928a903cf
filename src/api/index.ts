/**
 * api: what the CLI and the daemon both show a user — the Engine interface they drive, the
 * Docker-shaped views of containers and images (inspect, ps, images), and Docker's exit-code
 * rules. Types and pure functions only: no I/O.
 */
export { exitCodeFor } from './exit-codes.js';
