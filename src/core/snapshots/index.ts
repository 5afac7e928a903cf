export type { SnapshotDirectory, SnapshotInfo, SnapshotKind, Snapshotter } from './snapshotter.js';
