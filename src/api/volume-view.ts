/**
 * Volumes as Docker shows them: `docker volume inspect` objects and `docker volume ls` rows (the
 * CLI's volumeContext, by the names `--format` templates use).
 */
import type { VolumeInfo } from '../core/volumes/index.js';
import { goMap } from './go-map.js';

/**
 * `docker volume inspect`: dockerd 20.10's fields, in its order. Options are null without driver
 * options (the docker 28 CLI sends none; anonymous volumes have none either).
 */
export function volumeInspectView(v: VolumeInfo) {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: goMap(v.labels),
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: v.anonymous || Object.keys(v.options).length === 0 ? null : goMap(v.options),
    Scope: 'local',
  };
}

/** A `docker volume ls` row, fields in the docker CLI's JSON order; Links and Size are N/A outside `system df -v`, the cluster fields always. */
export function volumeListRow(v: VolumeInfo) {
  return {
    Availability: 'N/A',
    Driver: v.driver,
    Group: 'N/A',
    Labels: Object.keys(v.labels).sort().map((k) => `${k}=${v.labels[k]}`).join(','),
    Links: 'N/A',
    Mountpoint: v.mountpoint,
    Name: v.name,
    Scope: 'local',
    Size: 'N/A',
    Status: 'N/A',
    Label: (key: string) => v.labels[key] ?? '',
  };
}
