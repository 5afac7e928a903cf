export type { SnapshotInfo, SnapshotKind, Snapshotter } from './snapshotter.js';
