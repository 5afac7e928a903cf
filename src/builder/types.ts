import type { BuildNetwork, BuildProgress } from '../api/index.js';
import type { DockerignoreMatcher } from './dockerignore/index.js';

/** A silent BuildProgress. */
export const quietProgress: BuildProgress = {
  start: () => undefined,
  output: () => undefined,
  cached: () => undefined,
  done: () => undefined,
  failed: () => undefined,
  note: () => undefined,
};

export interface BuildOptions {
  /** The build context directory (already loaded: see loadBuildContext). */
  contextDir: string;
  dockerfile: { text: string; name: string };
  /** The `.dockerignore` in effect, if any. */
  ignore?: DockerignoreMatcher;
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** RUN's network: 'default' is the host's network (outbound access, as Docker's builder gives). */
  network?: BuildNetwork;
  /** `--secret id=x,src=file`: id → host file. */
  secrets?: Record<string, string>;
  /** Seconds since the epoch: clamps new files' mtimes and sets `created` (SOURCE_DATE_EPOCH / --reproducible). */
  sourceDateEpoch?: number;
  /** Print why the first uncached step missed the cache. */
  explainCache?: boolean;
  progress?: BuildProgress;
  /** OCI runtime for RUN steps (default crun, else runc). */
  runtime?: string;
  /** Most processes a RUN step may have, -1 for unlimited; runBuildProcess's default (4096) otherwise. */
  pidsLimit?: number;
}
export type { BuildNetwork, BuildProgress, BuildResult } from '../api/index.js';
