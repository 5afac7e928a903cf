/**
 * What `image diff` and `build --check-reproducible` return: file changes between two images or
 * layers, and the verdict on two clean builds of one Dockerfile with the layers and files in
 * which they differ. The changes themselves are core/diff's `TreeChange`s.
 */
import type { Digest } from '../base/index.js';
import type { TreeChange } from '../core/diff/index.js';

export type { ChangeAspect, NodeSummary, TreeChange } from '../core/diff/index.js';

/** One side of `image diff`: an image (its whole filesystem) or one layer (its own entries, whiteouts included). */
export interface DiffSide {
  /** As the user named it. */
  ref: string;
  kind: 'image' | 'layer';
  /** The image id, or the layer's digest (its diffID when known). */
  id: Digest;
}

export interface ImageDiffOptions {
  /** Add a unified diff for each changed, added or removed text file up to `contentLimit` bytes. */
  content?: boolean;
  /** Largest file whose content is shown (default 64 KiB). */
  contentLimit?: number;
}

export interface FileChange extends TreeChange {
  /** The unified diff (`--content`), for text files small enough on both sides. */
  diff?: string;
  /** Why no diff is shown with `--content` (binary, too large, not a regular file, only metadata changed). */
  diffSkipped?: string;
}

export interface ImageDiff {
  a: DiffSide;
  b: DiffSide;
  changes: FileChange[];
}

/** One file that differs between the two builds of a layer, with a hint when its path or kind is a known culprit. */
export interface ReproducibilityFile extends TreeChange {
  hint?: string;
  /** For a small text file whose content differs: its first differing lines, `-` build 1's, `+` build 2's. */
  lines?: string[];
}

/** A layer that differs between the two builds, and the Dockerfile step that made it. */
export interface LayerDifference {
  /** 1-based position of the layer in the image (the first build's when the two differ in count). */
  index: number;
  /** The step as the build's progress names it: `[stage-1 2/6] RUN apt-get update ...`. */
  step: string;
  /** Where the step is: `Dockerfile:12`. */
  location?: string;
  /** The layer in each build (null: that build made no layer at this step). */
  digests: [Digest | null, Digest | null];
  files: ReproducibilityFile[];
  /** A note on the step itself (a COPY --from names the stage where the difference was made). */
  note?: string;
}

export interface ReproducibilityReport {
  reproducible: boolean;
  /** The SOURCE_DATE_EPOCH both builds used. */
  sourceDateEpoch: number;
  /** Each build's image id and manifest digest (equal when reproducible). */
  builds: [{ id: Digest; manifestDigest: Digest }, { id: Digest; manifestDigest: Digest }];
  /** The number of layers of the image. */
  layers: number;
  differences: LayerDifference[];
  /** Top-level fields of the image config (apart from the layers) that differ: `created`, `history`, `config`. */
  configFields: string[];
}
