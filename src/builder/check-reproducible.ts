/**
 * `build --check-reproducible`: the Dockerfile built twice, concurrently (the second build
 * starting 2 s later: SECOND_BUILD_DELAY_MS), from clean state, and the two images compared layer
 * by layer.
 *
 * Clean state, in one store: both builds are isolated (build-image.ts `buildIsolated`): neither
 * reads nor writes the build cache, each has cache mounts of its own under its temporary folder
 * (removed with it), and neither names its image. What they share is what is not under test: the
 * FROM images and their unpacked layers. Both use the request's SOURCE_DATE_EPOCH, or 0 (what
 * `--reproducible` gives): the check is of what a reproducible build of berth gives, since without
 * an epoch every new file's time and the image's `created` differ by construction.
 *
 * When the manifests differ, the layers are paired by the step that made them (the progress
 * label, `[stage-1 2/6] RUN ...`), each differing pair read from the content store (core/diff's
 * layer reader) and compared entry by entry: added, removed, changed (type, content, mode,
 * owner, mtime, link target, xattrs), with a hint for well-known culprits (culprits.ts).
 *
 * The images and their layers are named by nothing: a lease keeps them while they are compared,
 * and the next collection removes them (the CLI collects after the check, as `rmi` does).
 */
import { setTimeout as sleep } from 'node:timers/promises';

import type { Digest, Operation } from '../base/index.js';
import { errors, isBerthError } from '../base/index.js';
import type { BuildProgress, LayerDifference, ReproducibilityFile, ReproducibilityReport } from '../api/index.js';
import type { Tree, TreeNode } from '../core/diff/index.js';
import { compareTrees, isText, layerTree, readLayer, unifiedDiff } from '../core/diff/index.js';
import type { BuilderDeps } from '../services/index.js';
import { buildIsolated } from './build-image.js';
import type { BuiltImage } from './build-image.js';
import { culpritHint } from './culprits.js';
import type { LayerStep } from './stage-state.js';
import type { BuildOptions } from './types.js';
import { quietProgress } from './types.js';

/** One progress for both builds: step numbers made unique, labels marked with the build, notes given once. */
function sharedProgress(progress: BuildProgress): (build: number) => BuildProgress {
  let next = 0;
  const ids = new Map<string, number>();
  const notes = new Set<string>();
  const id = (build: number, step: number) => {
    const key = `${build}:${step}`;
    let n = ids.get(key);
    if (n === undefined) ids.set(key, (n = ++next));
    return n;
  };
  return (build) => ({
    start: (step, label) => progress.start(id(build, step), `(${build}) ${label}`),
    output: (step, chunk) => progress.output(id(build, step), chunk),
    cached: (step) => progress.cached(id(build, step)),
    done: (step, seconds) => progress.done(id(build, step), seconds),
    failed: (step, message, tail) => progress.failed(id(build, step), message, tail),
    note(message) {
      if (notes.has(message)) return;
      notes.add(message);
      progress.note(message);
    },
  });
}

/**
 * How much later the second build starts. Started together, the two builds run each step at about
 * the same moment, and a step that records the time at one-second resolution (a log's dates, `date`
 * in a file) would write the same time in both: the second build lags by more than a second, so such
 * times differ. Coarser ones (minutes, days) would need builds far apart in time; no check run at
 * one time sees them.
 */
export const SECOND_BUILD_DELAY_MS = 2000;

/** Both builds, concurrently (the second a little later); the first failure stops the other, and is the one reported. */
async function buildTwice(deps: BuilderDeps, options: BuildOptions, op: Operation): Promise<[BuiltImage, BuiltImage]> {
  const stop = new AbortController();
  const signal = op.signal ? AbortSignal.any([op.signal, stop.signal]) : stop.signal;
  const inner: Operation = { owner: op.owner, tag: op.tag, signal, get warnings() { return op.warnings; }, warn: (m) => op.warn(m), end: () => undefined };
  const progress = sharedProgress(options.progress ?? quietProgress);
  let first: unknown;
  const one = (n: number) => (n === 1 ? Promise.resolve() : sleep(SECOND_BUILD_DELAY_MS, undefined, { signal })).then(() => buildIsolated(deps, { ...options, progress: progress(n) }, inner)).catch((err: unknown) => {
    // The other build's abort is a consequence, not the cause.
    if (first === undefined && !stop.signal.aborted) first = err;
    stop.abort();
    throw err;
  });
  const results = await Promise.allSettled([one(1), one(2)]);
  if (results[0].status === 'fulfilled' && results[1].status === 'fulfilled') return [results[0].value, results[1].value];
  if (op.signal?.aborted === true) throw errors.aborted('BUILD_ABORTED', 'The reproducibility check was interrupted');
  throw first ?? (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
}

export interface Slot {
  key: string;
  step: LayerStep;
  digest: Digest;
  index: number;
}

function slots(built: BuiltImage): Slot[] {
  return built.image.manifest.layers.map((layer, i) => {
    const step = built.layerSteps[i] ?? { label: `layer ${i + 1}`, location: '' };
    return { key: step.label, step, digest: layer.digest, index: i + 1 };
  });
}

/** The layers of the two builds paired by the step that made them (a step may make a layer in one build only). */
export function pairLayers(a: BuiltImage, b: BuiltImage): [Slot | undefined, Slot | undefined][] {
  const xs = slots(a);
  const ys = slots(b);
  const out: [Slot | undefined, Slot | undefined][] = [];
  let i = 0;
  let j = 0;
  while (i < xs.length || j < ys.length) {
    const x = xs[i];
    const y = ys[j];
    if (x && y && x.key === y.key) {
      out.push([x, y]);
      i++;
      j++;
    } else if (x && !ys.slice(j).some((s) => s.key === x.key)) {
      out.push([x, undefined]);
      i++;
    } else if (y && !xs.slice(i).some((s) => s.key === y.key)) {
      out.push([undefined, y]);
      j++;
    } else {
      // Both keys come later on the other side (steps in another order: cannot happen for one Dockerfile); pair by position.
      out.push([x, y]);
      i++;
      j++;
    }
  }
  return out;
}

/** Text files up to this size are kept while a layer is compared, to show the lines that differ. */
const EXCERPT_LIMIT = 64 << 10;
/** Lines of a text file's difference shown (each cut to 120 characters). */
const EXCERPT_LINES = 4;

async function treeOf(deps: BuilderDeps, digest: Digest | undefined, signal: AbortSignal | undefined): Promise<Tree> {
  if (digest === undefined) return new Map();
  return layerTree(await readLayer(deps.ctx.content.createReadStream(digest), { layerName: digest, keepContent: EXCERPT_LIMIT, ...(signal ? { signal } : {}) }));
}

/** The first lines that differ between two small text files (`-old`, `+new`), or none. */
function changedLines(a: TreeNode | undefined, b: TreeNode | undefined): string[] {
  if (a?.content === undefined || b?.content === undefined || !isText(a.content) || !isText(b.content)) return [];
  return unifiedDiff(a.content.toString('utf8'), b.content.toString('utf8'), 'a', 'b', { context: 0 })
    .split('\n')
    .filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) /.test(l))
    .slice(0, EXCERPT_LINES)
    .map((l) => (l.length > 120 ? `${l.slice(0, 119)}…` : l));
}

async function layerFiles(deps: BuilderDeps, a: Digest | undefined, b: Digest | undefined, signal: AbortSignal | undefined): Promise<ReproducibilityFile[]> {
  const [ta, tb] = await Promise.all([treeOf(deps, a, signal), treeOf(deps, b, signal)]);
  return compareTrees(ta, tb).map((change) => {
    const x = ta.get(change.path);
    const y = tb.get(change.path);
    const lines = change.aspects.includes('content') ? changedLines(x, y) : [];
    const hint = culpritHint(change.path, change.aspects, x?.elf === true || y?.elf === true, lines);
    return { ...change, ...(lines.length > 0 ? { lines } : {}), ...(hint !== undefined ? { hint } : {}) };
  });
}

/** Top-level fields of the two image configs that differ, the layer list aside. */
function configFields(a: BuiltImage, b: BuiltImage): string[] {
  const x = a.image.config as unknown as Record<string, unknown>;
  const y = b.image.config as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => k !== 'rootfs');
  return keys.filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k])).sort();
}

function stepNote(label: string): string | undefined {
  const from = /\b(?:COPY|ADD)\b.*?--from=(\S+)/.exec(label)?.[1];
  return from === undefined ? undefined : `the files come from "${from}": what made them differ happened there`;
}

/** Builds `options` twice from clean state and compares the images. */
export async function checkReproducible(deps: BuilderDeps, options: BuildOptions, op: Operation): Promise<ReproducibilityReport> {
  const sourceDateEpoch = options.sourceDateEpoch ?? 0;
  // The images the builds store are named by nothing: no collection until they are compared.
  const lease = await deps.ctx.leases.acquire(op.signal ? { signal: op.signal } : {});
  try {
    const [a, b] = await buildTwice(deps, { ...options, sourceDateEpoch }, op);
    const builds: ReproducibilityReport['builds'] = [
      { id: a.image.id, manifestDigest: a.image.manifestDescriptor.digest },
      { id: b.image.id, manifestDigest: b.image.manifestDescriptor.digest },
    ];
    const differences: LayerDifference[] = [];
    for (const [x, y] of pairLayers(a, b)) {
      if (x?.digest === y?.digest) continue;
      const slot = (x ?? y) as Slot;
      let files: ReproducibilityFile[];
      try {
        files = await layerFiles(deps, x?.digest, y?.digest, op.signal);
      } catch (err) {
        if (op.signal?.aborted === true) throw errors.aborted('BUILD_ABORTED', 'The reproducibility check was interrupted');
        if (!isBerthError(err)) throw err;
        throw errors.unknown('CHECK_READ_LAYER', `Cannot compare the layers of ${slot.step.label}: ${err.message}`, { cause: err });
      }
      const note = stepNote(slot.step.label);
      differences.push({
        index: slot.index,
        step: slot.step.label,
        ...(slot.step.location !== '' ? { location: slot.step.location } : {}),
        digests: [x?.digest ?? null, y?.digest ?? null],
        files,
        ...(note !== undefined ? { note } : {}),
      });
    }
    return {
      reproducible: builds[0].manifestDigest === builds[1].manifestDigest,
      sourceDateEpoch,
      builds,
      layers: a.image.manifest.layers.length,
      differences,
      configFields: configFields(a, b),
    };
  } finally {
    lease.release();
  }
}
