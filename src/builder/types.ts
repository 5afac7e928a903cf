import type { BuildProgress, BuildRequest } from '../api/index.js';
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

/**
 * A build as the builder runs it: the engine's BuildRequest with its context loaded (a directory,
 * the Dockerfile's text, the ignore rules) and its secrets as files.
 */
export interface BuildOptions extends Omit<BuildRequest, 'context' | 'stdin' | 'dockerfile' | 'secrets' | 'contextOnly'> {
  /** The build context directory (already loaded: see loadBuildContext). */
  contextDir: string;
  dockerfile: { text: string; name: string };
  /** The `.dockerignore` in effect, if any. */
  ignore?: DockerignoreMatcher;
  /** `--secret id=x,src=file`: id → host file. */
  secrets?: Record<string, string>;
  /** The context is a directory given by path (not extracted for this build): its file digests are worth keeping. */
  persistentContext?: boolean;
  /**
   * A build of `--check-reproducible`: the build cache is neither read nor written, cache mounts
   * are the build's own (removed with it), and the image is stored but not named.
   */
  isolated?: boolean;
}

export type { BuildNetwork, BuildProgress, BuildResult } from '../api/index.js';
