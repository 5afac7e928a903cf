/**
 * StageRunner: builds stages on demand (memoized, dependencies concurrently), runs ONBUILD
 * triggers, dispatches each instruction and reports steps to the progress view.
 */
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

import { BerthError, errors, isBerthError, randomHex, sha256 } from '../base/index.js';
import { mountAll, unmountAll } from '../core/mount/index.js';
import type { ResolvedImage } from '../core/images/index.js';
import { hostPlatform, parseReference } from '../oci/index.js';
import { resolveUser } from '../core/spec/index.js';
import type { ImageService, EngineContext, StackLayer } from '../services/index.js';
import { imageLayers, readUserDatabase, stackLayers } from '../services/index.js';
import type { SourceRoot } from './context-sources.js';
import { copyStep } from './copy-step.js';
import { mkdirInImage } from './copy-files.js';
import type { Instruction, SourceLocation, Stage } from './dockerfile/index.js';
import { parseDockerfile } from './dockerfile/index.js';
import type { StepEnv } from './layer-step.js';
import { layerStep, unpackLayers } from './layer-step.js';
import { runStep } from './run-step.js';
import type { MountSources } from './run-mounts.js';
import type { StagePlan } from './stage-plan.js';
import { findStage } from './stage-plan.js';
import type { ArgScope, StageState } from './stage-state.js';
import { DEFAULT_PATH, applyConfigInstruction, chainKey, createdBy, resolveWorkdir } from './stage-state.js';
import type { BuildOptions, BuildProgress } from './types.js';

export interface StageResult {
  state: StageState;
}

export interface StageRunnerOptions {
  deps: { ctx: EngineContext; images: ImageService };
  plan: StagePlan;
  options: BuildOptions;
  stepEnv: StepEnv;
  /** The build's temporary directory, made on first use (a fully cached build makes none). */
  tmpDir: () => string;
  progress: BuildProgress;
  onStep(label: string, key: string, inputs: Record<string, string>, cached: boolean): void;
}

const FS_KINDS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);

function cloneState(s: StageState): StageState {
  return {
    ...s,
    config: structuredClone(s.config),
    layers: [...s.layers],
    diffIds: [...s.diffIds],
    ...(s.layerSteps ? { layerSteps: [...s.layerSteps] } : {}),
    ...(s.cacheRecords ? { cacheRecords: [...s.cacheRecords] } : {}),
    history: [...s.history],
    args: new Map(),
    cmdSet: false,
  };
}

export class StageRunner {
  readonly consumedArgs = new Set<string>();
  steps = 0;
  cachedSteps = 0;
  /** Instructions begun, and how many the stages built have (the classic builder's `Step N/M`). */
  private instructions = 0;
  private readonly totalInstructions: number;
  private readonly results = new Map<number, Promise<StageResult>>();
  private readonly bases = new Map<string, Promise<ResolvedImage>>();
  private readonly cleanups: (() => Promise<void>)[] = [];
  private readonly context: SourceRoot;
  private readonly scope: ArgScope;

  constructor(private readonly o: StageRunnerOptions) {
    this.context = { dir: o.options.contextDir, isContext: true, ignore: o.options.ignore, description: 'build context' };
    this.scope = { buildArgs: o.options.buildArgs ?? {}, meta: o.plan.meta, automatic: o.plan.automatic };
    this.totalInstructions = [...o.plan.needed].reduce((n, i) => n + 1 + (o.plan.stages[i]?.instructions.length ?? 0), 0);
  }

  /** Reports an instruction's start to a classic-builder view (BuildProgress.instruction); returns its number. */
  private beginInstruction(text: string, step?: number): number {
    const index = ++this.instructions;
    this.o.progress.instruction?.({ index, total: this.totalInstructions, text: text.replace(/\\?\s*\n\s*/g, ' ').trim(), ...(step !== undefined ? { step } : {}) });
    return index;
  }

  /** The classic builder's intermediate image for a stage's state: a digest of its config and layers. */
  private static stateId(state: StageState): string {
    return sha256(JSON.stringify([state.key, state.config, state.diffIds]));
  }

  stage(index: number): Promise<StageResult> {
    let p = this.results.get(index);
    if (!p) {
      // Dependencies start now and run alongside this stage; steps that need them await them.
      for (const d of this.o.plan.deps.get(index) ?? []) this.stage(d).catch(() => undefined);
      p = this.runStage(index);
      this.results.set(index, p);
    }
    return p;
  }

  /** Waits for every started stage to finish (or fail), so nothing runs during clean-up. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.results.values()]);
  }

  async close(): Promise<void> {
    for (const fn of this.cleanups.reverse()) await fn().catch(() => undefined);
  }

  private label(stage: Stage, k: number, n: number, text: string): string {
    const name = this.o.plan.stages.length > 1 ? `${stage.name ?? `stage-${stage.index}`} ` : '';
    return `[${name}${k}/${n}] ${text.replace(/\s+/g, ' ').trim()}`;
  }

  private async baseState(index: number): Promise<{ state: StageState; triggers: string[]; imageId?: string }> {
    const base = this.o.plan.bases[index];
    const escape = this.o.plan.escape;
    if (!base || 'scratch' in base) {
      const p = hostPlatform();
      return { state: { config: {}, architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), layers: [], diffIds: [], history: [], args: new Map(), cmdSet: false, key: chainKey('scratch'), escape }, triggers: [] };
    }
    if ('stage' in base) {
      const parent = (await this.stage(base.stage)).state;
      return { state: { ...cloneState(parent), escape }, triggers: parent.config.OnBuild ?? [] };
    }
    const image = await this.baseImage(base.image);
    const c = image.config;
    const state: StageState = {
      config: structuredClone(c.config ?? {}),
      ...(c.author !== undefined ? { author: c.author } : {}),
      architecture: c.architecture, os: c.os, ...(c.variant !== undefined ? { variant: c.variant } : {}),
      layers: [...image.manifest.layers], diffIds: [...c.rootfs.diff_ids], history: [...(c.history ?? [])],
      args: new Map(), cmdSet: false, key: chainKey('image', image.id), escape,
      ...(c.created !== undefined ? { lastCreated: c.created } : {}),
    };
    return { state, triggers: c.config?.OnBuild ?? [], imageId: image.id };
  }

  /**
   * A FROM image: pulled when it is missing, or always with `--pull`, as `docker build` does.
   * Looked up (and pulled) once per reference: stages on the same base share the lookup.
   */
  private baseImage(ref: string): Promise<ResolvedImage> {
    let p = this.bases.get(ref);
    if (!p) {
      p = this.findBaseImage(ref);
      this.bases.set(ref, p);
    }
    return p;
  }

  private async findBaseImage(ref: string): Promise<ResolvedImage> {
    const images = this.o.deps.images;
    // credentials the client sent (the Engine API's X-Registry-Config): those of the image's registry, or none
    const given = this.o.options.registryCredentials;
    const credentials = given === undefined ? {} : { credentials: given[parseReference(ref).domain] ?? null };
    const pull = () => images.pull(ref, { onProgress: (line) => this.o.progress.note(line), ...credentials });
    if (this.o.options.pull === true) await pull();
    try {
      return await images.resolve(ref);
    } catch (err) {
      if (!isBerthError(err) || err.code !== 'BERTH_E_IMAGE_NOT_FOUND' || this.o.options.pull === true) throw err;
      await pull();
      return images.resolve(ref);
    }
  }

  private async runStage(index: number): Promise<StageResult> {
    const stage = this.o.plan.stages[index] as Stage;
    const { state, triggers, imageId } = await this.baseState(index).catch((err: unknown) => {
      throw locate(err, stage.location);
    });
    if (!(state.config.Env ?? []).some((e) => e.startsWith('PATH='))) state.config.Env = [DEFAULT_PATH, ...(state.config.Env ?? [])];
    const triggerInstructions = triggers.flatMap((t) => parseDockerfile(`FROM scratch\n${t}\n`, { file: `ONBUILD ${t}` }).stages[0]?.instructions ?? []);
    if (triggers.length > 0) state.config.OnBuild = null;
    const all = [...triggerInstructions, ...stage.instructions];
    const n = 1 + all.filter((i) => FS_KINDS.has(i.kind)).length;
    let k = 1;
    const fromStep = ++this.steps;
    const fromIndex = this.beginInstruction(stage.original, fromStep);
    const fromLabel = this.label(stage, k, n, `FROM ${stage.from.image}`);
    this.o.progress.start(fromStep, fromLabel);
    this.o.progress.done(fromStep, 0);
    this.o.progress.instructionDone?.(fromIndex, imageId ?? StageRunner.stateId(state));
    const own = new Set(stage.instructions);
    // The base image's layers are the FROM step's; a stage built on a stage keeps that stage's steps.
    const steps = (state.layerSteps ??= []);
    const baseLayers = state.layers.length - steps.length;
    for (let i = 1; i <= baseLayers; i++) steps.push({ label: `${fromLabel} (base layer ${i}/${baseLayers})`, location: where(stage.location) });
    for (const ins of all) {
      if (applyConfigInstruction(state, ins, this.scope)) {
        const index = own.has(ins) ? this.beginInstruction(ins.original) : undefined;
        if (ins.kind === 'ARG') ins.args.forEach((a) => this.consumedArgs.add(a.name));
        state.history.push({ created: this.configStepCreated(state), created_by: createdBy(ins, state), comment: 'buildkit.dockerfile.v0', empty_layer: true });
        if (index !== undefined) this.o.progress.instructionDone?.(index, StageRunner.stateId(state));
        continue;
      }
      k++;
      const step = ++this.steps;
      const label = this.label(stage, k, n, ins.original);
      const index = own.has(ins) ? this.beginInstruction(ins.original, step) : undefined;
      this.o.progress.start(step, label);
      const started = Date.now();
      let cached: boolean;
      try {
        cached = await this.dispatch(state, ins, step, label);
      } catch (err) {
        throw locate(err, ins.location);
      }
      while (steps.length < state.layers.length) steps.push({ label, location: where(ins.location) });
      if (cached) {
        this.cachedSteps++;
        this.o.progress.cached(step);
      }
      this.o.progress.done(step, (Date.now() - started) / 1000);
      if (index !== undefined) this.o.progress.instructionDone?.(index, StageRunner.stateId(state));
    }
    return { state };
  }

  /** Config-only steps make no content: they carry the time of the stage's newest content. */
  private configStepCreated(state: StageState): string {
    const env = this.o.stepEnv;
    return env.sourceDateEpoch !== undefined ? env.created : state.lastCreated ?? env.created;
  }

  private async dispatch(state: StageState, ins: Instruction, step: number, label: string): Promise<boolean> {
    let recorded: Record<string, string> = {};
    const recordInputs = (inputs: Record<string, string>) => void (recorded = inputs);
    let cached: boolean;
    const common = { ...this.o.stepEnv, recordInputs, rootKey: (f: string) => this.rootKey(f), openRoot: (f: string) => this.openRoot(f) };
    if (ins.kind === 'RUN') {
      cached = await runStep({ ...common, scope: this.scope, progress: this.o.progress, step, network: this.o.options.network ?? 'default', mountSources: this.mountSources(), ...(this.o.options.runtime !== undefined ? { runtime: this.o.options.runtime } : {}), ...(this.o.options.pidsLimit !== undefined ? { pidsLimit: this.o.options.pidsLimit } : {}), ...(this.o.options.stepLimits ? { limits: this.o.options.stepLimits } : {}), extraHosts: this.o.options.extraHosts ?? [] }, state, ins);
    } else if (ins.kind === 'COPY' || ins.kind === 'ADD') {
      cached = await copyStep({ ...common, context: this.context, tmpDir: this.o.tmpDir }, state, ins);
    } else if (ins.kind === 'WORKDIR') {
      cached = await this.workdir(state, ins.path, ins, recordInputs);
    } else throw errors.unknown('BUILD_INTERNAL', `Unexpected instruction "${ins.kind}"`);
    this.o.onStep(label, state.key, recorded, cached);
    return cached;
  }

  private async workdir(state: StageState, written: string, ins: Instruction, recordInputs: (i: Record<string, string>) => void): Promise<boolean> {
    const dir = resolveWorkdir(state, written);
    state.config.WorkingDir = dir;
    const user = state.config.User ?? '';
    recordInputs({ workdir: dir, user });
    state.key = chainKey(state.key, 'WORKDIR', dir, user);
    const result = await layerStep(this.o.stepEnv, state, { key: state.key, createdBy: createdBy(ins, state) }, async (rootfs) => {
      const ids = user === '' ? { uid: 0, gid: 0 } : resolveUser(user, readUserDatabase(rootfs));
      mkdirInImage(rootfs, dir, ids.uid, ids.gid);
    });
    return result.cached;
  }

  private mountSources(): MountSources {
    return { cache: this.o.stepEnv.cache, tmpDir: this.o.tmpDir, secrets: this.o.options.secrets ?? {}, context: this.context, openRoot: (f) => this.openRoot(f) };
  }

  private async rootKey(from: string): Promise<string> {
    const index = findStage(this.o.plan.stages, from, this.o.plan.stages.length);
    if (index !== undefined) return (await this.stage(index)).state.key;
    return (await this.o.deps.images.resolve(from)).id;
  }

  /** Mounts a stage's or image's filesystem read-only, for COPY --from and bind mounts. */
  async openRoot(from: string): Promise<{ root: SourceRoot; release: () => Promise<void> }> {
    const index = findStage(this.o.plan.stages, from, this.o.plan.stages.length);
    let layers: StackLayer[];
    if (index !== undefined) {
      const { state } = await this.stage(index);
      layers = stackLayers(state.layers, state.diffIds, `Stage "${from}"`);
    } else layers = imageLayers(await this.o.deps.images.resolve(from));
    const description = index !== undefined ? `stage "${from}"` : `image "${from}"`;
    const top = await unpackLayers(this.o.stepEnv, layers);
    const dir = await mkdtemp(join(this.o.tmpDir(), 'root-'));
    if (top === undefined) return { root: { dir, isContext: false, description }, release: async () => rm(dir, { recursive: true, force: true }) };
    const ctx = this.o.deps.ctx;
    const key = `build-view-${this.o.stepEnv.op.tag}-${randomHex(8)}`;
    const mounts = await ctx.snapshots.view(key, top);
    await mkdir(dir, { recursive: true });
    try {
      mountAll(mounts, dir);
    } catch (err) {
      await ctx.snapshots.remove(key).catch(() => undefined);
      throw err;
    }
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await unmountAll(dir);
      await rmdir(dir).catch(() => undefined);
      await ctx.snapshots.remove(key).catch(() => undefined);
    };
    this.cleanups.push(release);
    return { root: { dir, isContext: false, description }, release };
  }
}

const where = (at: SourceLocation) => `${at.file}:${at.line}`;

/** Prefixes an error with the instruction's place unless it already names one. */
function locate(err: unknown, at: SourceLocation): unknown {
  if (!isBerthError(err)) return err;
  if (/^[^\s:]+:\d+:\d+: /.test(err.message)) return err;
  const place = `${at.file}:${at.line}:${at.column}`;
  return new BerthError(err.kind, err.code, `${place}: ${err.message}`, { cause: err, ...(err.hint !== undefined ? { hint: err.hint } : {}) });
}
