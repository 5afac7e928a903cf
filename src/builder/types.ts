import type { Digest } from '../base/index.js';
import type { DockerignoreMatcher } from './dockerignore/index.js';

/** What a renderer (the CLI's progress output) is told while a build runs. Steps are numbered from 1. */
export interface BuildProgress {
  /** A step begins; `label` is like `[build 2/5] RUN make`. */
  start(step: number, label: string): void;
  /** Output of a RUN step, as it comes. */
  output(step: number, chunk: Buffer): void;
  /** The step was found in the cache. */
  cached(step: number): void;
  done(step: number, seconds: number): void;
  /** The step failed; `tail` is the end of its output. */
  failed(step: number, message: string, tail: string): void;
  /** Warnings and cache explanations. */
  note(message: string): void;
}

/** A silent BuildProgress. */
export const quietProgress: BuildProgress = {
  start: () => undefined,
  output: () => undefined,
  cached: () => undefined,
  done: () => undefined,
  failed: () => undefined,
  note: () => undefined,
};

export type BuildNetwork = 'default' | 'host' | 'none';

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
  signal?: AbortSignal;
}

export interface BuildResult {
  /** The image id (config digest). */
  id: Digest;
  manifestDigest: Digest;
  names: string[];
  /** Number of steps in total and how many came from the cache. */
  steps: number;
  cachedSteps: number;
}
