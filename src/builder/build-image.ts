/**
 * buildImage: a Dockerfile and its context to a stored (and named) image.
 *
 * Only the stages the target needs are built; independent stages run concurrently. Each stage
 * starts from an image, an earlier stage or scratch, runs its base's ONBUILD triggers, then its
 * instructions: config-only ones change the config; WORKDIR, COPY, ADD and RUN are layer steps
 * (layer-step.ts) keyed for the cache. Nothing is named until every step succeeded, so a failed
 * build leaves no tag and no image behind (only reusable cache layers).
 */
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { Operation } from '../base/index.js';
import { BerthError, isBerthError, isNotFound, randomHex, sha256 } from '../base/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import type { HistoryEntry, ImageConfig } from '../oci/index.js';
import { parseReference } from '../oci/index.js';
import type { BuilderDeps } from '../services/index.js';
import { BuildCache } from './build-cache.js';
import { FileDigests } from './file-digests.js';
import { INLINE_CACHE_ARG, INLINE_CACHE_FIELD, inlineCacheOf, wantsInlineCache } from './inline-cache.js';
import type { StepInputs } from './build-cache.js';
import { parseDockerfile } from './dockerfile/index.js';
import type { StepEnv } from './layer-step.js';
import { StageRunner } from './stage-runner.js';
import type { StageResult } from './stage-runner.js';
import { planStages } from './stage-plan.js';
import { recoverStaleBuilds } from './recover-stale.js';
import { PROXY_ARGS } from './stage-state.js';
import type { LayerStep } from './stage-state.js';
import type { BuildOptions, BuildProgress, BuildResult } from './types.js';
import { quietProgress } from './types.js';

function clampHistory(history: HistoryEntry[], epoch: number | undefined): HistoryEntry[] {
  if (epoch === undefined) return history;
  const limit = new Date(epoch * 1000).toISOString();
  return history.map((h) => (h.created !== undefined && Date.parse(h.created) > epoch * 1000 ? { ...h, created: limit } : h));
}

function imageConfig(result: StageResult, created: string, epoch: number | undefined): ImageConfig {
  const s = result.state;
  return {
    created,
    ...(s.author !== undefined ? { author: s.author } : {}),
    architecture: s.architecture,
    os: s.os,
    ...(s.variant !== undefined ? { variant: s.variant } : {}),
    config: s.config,
    rootfs: { type: 'layers', diff_ids: s.diffIds },
    history: clampHistory(s.history, epoch),
  };
}

/** Runs a build. Errors are BerthErrors; Dockerfile problems name file:line:column. */
export async function buildImage(deps: BuilderDeps, options: BuildOptions, op: Operation): Promise<BuildResult> {
  const built = await build(deps, options, op);
  return { id: built.image.id, manifestDigest: built.image.manifestDescriptor.digest, names: built.names, steps: built.steps, cachedSteps: built.cachedSteps };
}

/** What a build made: the stored image, the names it got, and the step that made each layer. */
export interface BuiltImage {
  image: ResolvedImage;
  names: string[];
  steps: number;
  cachedSteps: number;
  layerSteps: LayerStep[];
}

/**
 * A build of `--check-reproducible` (`options.isolated`): no build cache read or written, cache
 * mounts of its own under the build's temporary folder, the image stored but not named. The
 * caller holds a lease while it needs the image: nothing else keeps it from a collection.
 */
export async function buildIsolated(deps: BuilderDeps, options: BuildOptions, op: Operation): Promise<BuiltImage> {
  return build(deps, { ...options, isolated: true, noCache: true, tags: [] }, op);
}

async function build(deps: BuilderDeps, options: BuildOptions, op: Operation): Promise<BuiltImage> {
  const progress = options.progress ?? quietProgress;
  const names = (options.tags ?? []).map((t) => parseReference(t).full);
  const df = parse(options.dockerfile.text, options.dockerfile.name);
  for (const w of df.warnings) progress.note(w);
  const buildArgs = options.buildArgs ?? {};
  const plan = planStages(df, { buildArgs, target: options.target });
  const epoch = options.sourceDateEpoch;
  const created = epoch !== undefined ? new Date(epoch * 1000).toISOString() : new Date().toISOString();
  // Step layers are named by nothing until the image is committed: keep garbage collection away.
  const lease = await deps.ctx.leases.acquire(op.signal ? { signal: op.signal } : {});
  try {
    return await runBuild(deps, options, { plan, progress, names, epoch, created, buildArgs, op });
  } finally {
    lease.release();
  }
}

interface PreparedBuild {
  plan: ReturnType<typeof planStages>;
  progress: BuildProgress;
  names: string[];
  epoch: number | undefined;
  created: string;
  buildArgs: Record<string, string>;
  op: Operation;
}

async function runBuild(deps: BuilderDeps, options: BuildOptions, prepared: PreparedBuild): Promise<BuiltImage> {
  const { plan, progress, names, epoch, created, buildArgs, op } = prepared;
  mkdirSync(join(deps.ctx.paths.root, 'build-tmp'), { recursive: true });
  await recoverStaleBuilds(deps.ctx);
  // The build's own temporary directory, made when a step first needs one: a fully cached build
  // makes none. Its name starts with the owner tag (recover-stale.ts finds a dead build's).
  const tmpPath = join(deps.ctx.paths.root, 'build-tmp', `${op.tag}-${randomHex(4)}`);
  let tmpMade = false;
  const tmpDir = (): string => {
    if (!tmpMade) {
      mkdirSync(tmpPath, { mode: 0o700 });
      tmpMade = true;
    }
    return tmpPath;
  };
  const isolated = options.isolated === true;
  // An isolated build's cache mounts live in it (made with their own modes): the directory first.
  if (isolated) tmpDir();
  const cache = new BuildCache(deps.ctx.paths.root, isolated ? { mountsDir: join(tmpPath, 'cache-mounts'), record: false } : {});
  if (!isolated) await seedFromImages(deps, cache, options.cacheFrom ?? [], progress);
  // The context's file digests (not the steps' cache): an isolated build may use them too.
  const fileDigests = options.persistentContext ? new FileDigests(join(deps.ctx.paths.root, 'build-cache', 'file-digests.json')) : undefined;
  const stepEnv: StepEnv = {
    ctx: deps.ctx, cache, noCache: isolated || (options.noCache ?? false), created,
    ...(fileDigests ? { fileDigests } : {}),
    ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
    op,
    ...(op.signal ? { signal: op.signal } : {}),
  };
  const records: StepInputs[] = [];
  const lastId = sha256(JSON.stringify([options.contextDir, options.dockerfile.name, options.target ?? ''])).slice(7);
  const previous = options.explainCache ? await cache.lastBuild(lastId) : undefined;
  let explained = false;
  const runner = new StageRunner({
    deps, plan, options, stepEnv, tmpDir, progress,
    onStep(label, key, inputs, cached) {
      const index = records.length;
      records.push({ label, key, inputs });
      if (!options.explainCache || cached || explained) return;
      explained = true;
      progress.note(explainMiss(label, inputs, previous?.[index]));
    },
  });
  try {
    const result = await runner.stage(plan.target);
    const unused = Object.keys(buildArgs).filter((k) => !runner.consumedArgs.has(k) && !plan.meta.has(k) && !PROXY_ARGS.includes(k) && k !== INLINE_CACHE_ARG);
    if (unused.length > 0) progress.note(`[Warning] One or more build-args [${unused.sort().join(' ')}] were not consumed`);
    const config = imageConfig(result, epoch !== undefined ? created : result.state.lastCreated ?? created, epoch);
    if (options.labels !== undefined && Object.keys(options.labels).length > 0) {
      // `--label`: on the image only, after every stage (as Docker's builder does)
      config.config = { ...config.config, Labels: { ...(config.config?.Labels ?? {}), ...options.labels } };
    }
    if (wantsInlineCache(buildArgs)) (config as unknown as Record<string, unknown>)[INLINE_CACHE_FIELD] = result.state.cacheRecords ?? [];
    const image = isolated ? await deps.images.store(config, result.state.layers) : await deps.images.commit(config, result.state.layers, names);
    await cache.saveLastBuild(lastId, records);
    return { image, names: isolated ? [] : names, steps: runner.steps, cachedSteps: runner.cachedSteps, layerSteps: result.state.layerSteps ?? [] };
  } finally {
    await runner.settle();
    await runner.close();
    if (tmpMade) await rm(tmpPath, { recursive: true, force: true });
    await fileDigests?.save();
  }
}

/**
 * `--cache-from`: the inline caches of stored images (pull one first, as with Docker's classic
 * builder). An image that is not stored, or carries no cache, is said and skipped.
 */
async function seedFromImages(deps: BuilderDeps, cache: BuildCache, refs: readonly string[], progress: BuildProgress): Promise<void> {
  for (const ref of refs) {
    let image;
    try {
      image = await deps.images.resolve(ref);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      progress.note(`[Warning] --cache-from ${ref}: no such image (pull it first): not used`);
      continue;
    }
    const records = inlineCacheOf(image);
    if (records.size === 0) progress.note(`[Warning] --cache-from ${ref}: the image carries no build cache (build it with --build-arg ${INLINE_CACHE_ARG}=1): not used`);
    cache.seed(records);
  }
}

/** Parses, adding Docker's "line N" wording to errors (its tools and users look for it). */
function parse(text: string, file: string): ReturnType<typeof parseDockerfile> {
  try {
    return parseDockerfile(text, { file });
  } catch (err) {
    const place = isBerthError(err) ? /^.*?:(\d+):(\d+): /.exec(err.message) : null;
    if (!isBerthError(err) || !place) throw err;
    const hint = `Dockerfile parse error on line ${place[1] ?? ''}${err.hint !== undefined ? `: ${err.hint}` : ''}`;
    throw new BerthError(err.kind, err.code, err.message, { cause: err, hint });
  }
}

/** Why a step missed: the inputs that differ from the same step of the previous build. */
export function explainMiss(label: string, inputs: Record<string, string>, before: StepInputs | undefined): string {
  if (!before) return `cache: ${label}: not cached (no earlier build of this step)`;
  if (before.label !== label) return `cache: ${label}: not cached (the instruction changed; was: ${before.label})`;
  const changed = Object.keys({ ...inputs, ...before.inputs }).filter((k) => inputs[k] !== before.inputs[k]);
  if (changed.length === 0) return `cache: ${label}: not cached (an earlier step or the base changed)`;
  return `cache: ${label}: not cached, changed: ${changed.join(', ')}`;
}
