/**
 * core/volumes: volume records and the VolumeStore interface (the local driver is
 * plugins/volumes-local), and the pure parsers of Docker's mount flags (`-v`, `--mount`,
 * `--volumes-from`) and volume filters.
 */
export { anonymousVolumeLabel, validateVolumeName, validateVolumeOptions } from './volume.js';
export type { CreateVolumeOptions, VolumeInfo, VolumeRecord, VolumeStore } from './volume.js';
export { cleanTarget, parseMountFlag, parseVolumeFlag, parseVolumesFrom } from './mount-specs.js';
export { matchesVolumeFilters, parseVolumeFilters } from './volume-filters.js';
export type { VolumeFilters } from './volume-filters.js';
