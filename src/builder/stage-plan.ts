/**
 * The stage graph: global ARGs, each stage's expanded base name, which stage is the target and
 * which stages it needs (its base and every `COPY --from` / `RUN --mount from=`), so only those run.
 */
import { errors } from '../base/index.js';
import { hostPlatform } from '../oci/index.js';
import type { Dockerfile, Stage } from './dockerfile/index.js';
import { expandWord, parseRunMount } from './dockerfile/index.js';

export interface StagePlan {
  stages: Stage[];
  /** Global ARG values (declared before the first FROM), with --build-arg applied. */
  meta: Map<string, string | undefined>;
  automatic: Record<string, string>;
  /** Each stage's base after expansion: a stage index, `scratch` or an image reference. */
  bases: ({ stage: number } | { scratch: true } | { image: string })[];
  target: number;
  /** Stages the target needs, target included. */
  needed: Set<number>;
  /** Direct dependencies of each stage. */
  deps: Map<number, number[]>;
  /** The Dockerfile's escape character. */
  escape: '\\' | '`';
}

export function automaticArgs(): Record<string, string> {
  const p = hostPlatform();
  const platform = `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
  const out: Record<string, string> = {};
  for (const prefix of ['BUILD', 'TARGET']) {
    out[`${prefix}PLATFORM`] = platform;
    out[`${prefix}OS`] = p.os;
    out[`${prefix}ARCH`] = p.architecture;
    out[`${prefix}VARIANT`] = p.variant ?? '';
  }
  return out;
}

/** Finds a stage by `AS` name or index, among the stages before `before`. */
export function findStage(stages: readonly Stage[], ref: string, before: number): number | undefined {
  const lower = ref.toLowerCase();
  const byName = stages.findIndex((s, i) => i < before && s.name === lower);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(ref)) {
    const index = Number(ref);
    if (index < before) return index;
    throw errors.invalidArgument('BUILD_STAGE_REF', `Invalid stage reference "${ref}": a stage can only use stages before it`);
  }
  return undefined;
}

function stageDeps(plan: Omit<StagePlan, 'needed' | 'deps' | 'target' | 'escape'>, index: number): number[] {
  const stage = plan.stages[index] as Stage;
  const out = new Set<number>();
  const base = plan.bases[index];
  if (base && 'stage' in base) out.add(base.stage);
  const env: Record<string, string> = {};
  for (const [k, v] of plan.meta) if (v !== undefined) env[k] = v;
  const refs: string[] = [];
  for (const ins of stage.instructions) {
    if (ins.kind === 'COPY' && ins.from !== undefined) refs.push(ins.from);
    if (ins.kind === 'RUN') {
      for (const m of ins.mounts) {
        const from = parseRunMount(m.raw).from;
        if (from !== undefined) refs.push(from);
      }
    }
  }
  for (const ref of refs) {
    let name: string;
    try {
      name = expandWord(ref, env);
    } catch {
      continue; // stage-local args: resolved when the step runs
    }
    const dep = findStage(plan.stages, name, index);
    if (dep !== undefined) out.add(dep);
  }
  return [...out];
}

/** Plans a build. Throws when the target stage does not exist. */
export function planStages(df: Dockerfile, options: { buildArgs: Record<string, string>; target?: string | undefined }): StagePlan {
  const automatic = automaticArgs();
  const meta = new Map<string, string | undefined>();
  const metaEnv = (): Record<string, string> => {
    const env: Record<string, string> = { ...automatic };
    for (const [k, v] of meta) if (v !== undefined) env[k] = v;
    return env;
  };
  for (const arg of df.args) {
    const value = Object.hasOwn(options.buildArgs, arg.name) ? options.buildArgs[arg.name]
      : arg.default !== undefined ? expandWord(arg.default, metaEnv(), { escape: df.directives.escape }) : undefined;
    meta.set(arg.name, value);
  }
  const bases = df.stages.map((stage, i) => {
    const name = expandWord(stage.from.image, metaEnv(), { escape: df.directives.escape });
    if (name === '') throw errors.invalidArgument('BUILD_BASE_EMPTY', `${stage.location.file}:${stage.location.line}:${stage.location.column}: base name (${stage.from.image}) should not be blank`);
    if (name.toLowerCase() === 'scratch') return { scratch: true as const };
    const dep = findStage(df.stages, name, i);
    return dep === undefined ? { image: name } : { stage: dep };
  });
  let target = df.stages.length - 1;
  if (options.target !== undefined) {
    target = df.stages.findIndex((s) => s.name === options.target?.toLowerCase());
    if (target < 0) throw errors.notFound('BUILD_TARGET_NOT_FOUND', `Target stage "${options.target}" could not be found`);
  }
  const partial = { stages: df.stages, meta, automatic, bases };
  const deps = new Map<number, number[]>();
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    const d = stageDeps(partial, i);
    deps.set(i, d);
    d.forEach(visit);
  };
  visit(target);
  return { ...partial, target, needed, deps, escape: df.directives.escape };
}
