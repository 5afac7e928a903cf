/**
 * The state of a build stage while its instructions run: the image config so far, its layers,
 * the ARGs in scope and the running cache key. Config-only instructions are applied here.
 */
import { posix } from 'node:path';

import type { Digest } from '../base/index.js';
import { errors, sha256 } from '../base/index.js';
import type { Descriptor, HistoryEntry, ImageRuntimeConfig } from '../oci/index.js';
import type { ArgInstruction, CommandLine, EnvSource, Instruction } from './dockerfile/index.js';
import { expandWord, expandWords, parseExposePort } from './dockerfile/index.js';
import type { InlineCacheRecord } from './inline-cache.js';

/** Docker's default PATH, shared with `berth run` (services). */
export { defaultPath as DEFAULT_PATH } from '../services/index.js';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Build args Docker passes to RUN without an ARG line (and keeps out of the cache key and image). */
export const PROXY_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export interface StageState {
  config: ImageRuntimeConfig;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  layers: Descriptor[];
  diffIds: Digest[];
  history: HistoryEntry[];
  /** ARGs declared in this stage with their values (undefined: declared, no value). */
  args: Map<string, string | undefined>;
  /** Set once CMD appears in this stage (ENTRYPOINT then keeps it). */
  cmdSet: boolean;
  /** The running cache key: a digest of the base and every instruction so far. */
  key: string;
  escape: '\\' | '`';
  /** `created` of the newest content in the stage (history entries of config-only steps use it). */
  lastCreated?: string;
  /** The step that made each layer, in `layers`' order (for `--check-reproducible`'s report). */
  layerSteps?: LayerStep[];
  /** Each filesystem step's cache key and result, in order: the image's inline cache (inline-cache.ts). */
  cacheRecords?: InlineCacheRecord[];
}

/** A step as the build's progress names it, and where the Dockerfile has it. */
export interface LayerStep {
  /** `[stage-1 2/6] RUN apt-get update`. */
  label: string;
  /** `Dockerfile:12`. */
  location: string;
}

export interface ArgScope {
  /** `--build-arg` values. */
  buildArgs: Record<string, string>;
  /** Global (before FROM) ARG values. */
  meta: Map<string, string | undefined>;
  /** Automatic platform args (TARGETOS, BUILDPLATFORM, ...). */
  automatic: Record<string, string>;
}

export function chainKey(parent: string, ...parts: string[]): string {
  return sha256(JSON.stringify([parent, ...parts])).slice('sha256:'.length);
}

export function envEntries(config: ImageRuntimeConfig): [string, string][] {
  return (config.Env ?? []).map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
  });
}

/** The variables an instruction's words are expanded with: stage ARGs, overridden by ENV. */
export function expansionEnv(state: StageState): EnvSource {
  const env: Record<string, string> = {};
  for (const [k, v] of state.args) if (v !== undefined) env[k] = v;
  for (const [k, v] of envEntries(state.config)) env[k] = v;
  return env;
}

/** The environment of a RUN process: ENV, then ARGs ENV does not set, then passed proxy args. */
export function runEnv(state: StageState, scope: ArgScope): string[] {
  const env = [...(state.config.Env ?? [])];
  const set = new Set(envEntries(state.config).map(([k]) => k));
  for (const [k, v] of state.args) {
    if (v === undefined || set.has(k)) continue;
    env.push(`${k}=${v}`);
    set.add(k);
  }
  for (const k of PROXY_ARGS) {
    const v = scope.buildArgs[k];
    if (v !== undefined && !set.has(k)) env.push(`${k}=${v}`);
  }
  return env;
}

export function setEnv(config: ImageRuntimeConfig, key: string, value: string): void {
  const env = [...(config.Env ?? [])];
  const i = env.findIndex((e) => e === key || e.startsWith(`${key}=`));
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
  config.Env = env;
}

/** The directory a WORKDIR instruction sets: expanded, and relative paths taken from the current one. */
export function resolveWorkdir(state: StageState, written: string): string {
  const path = expandWord(written, expansionEnv(state), { escape: state.escape });
  return posix.isAbsolute(path) ? posix.normalize(path) : posix.join(state.config.WorkingDir || '/', path);
}

/** A command line as the image config stores it: exec form as is, shell form wrapped in SHELL. */
export function commandArgs(state: StageState, command: CommandLine): string[] {
  return command.form === 'exec' ? [...command.args] : [...(state.config.Shell ?? DEFAULT_SHELL), command.script];
}

function applyArg(state: StageState, ins: ArgInstruction, scope: ArgScope): void {
  for (const def of ins.args) {
    let value: string | undefined;
    if (Object.hasOwn(scope.buildArgs, def.name)) value = scope.buildArgs[def.name];
    else if (def.default !== undefined) value = expandWord(def.default, expansionEnv(state), { escape: state.escape });
    else if (scope.meta.has(def.name)) value = scope.meta.get(def.name);
    else value = scope.automatic[def.name];
    state.args.set(def.name, value);
  }
}

/** Applies an instruction that only changes the config. Returns false for ones that touch files. */
export function applyConfigInstruction(state: StageState, ins: Instruction, scope: ArgScope): boolean {
  const x = (w: string) => expandWord(w, expansionEnv(state), { escape: state.escape });
  const c = state.config;
  switch (ins.kind) {
    case 'ENV': {
      const env = expansionEnv(state);
      const values = ins.pairs.map((p) => [p.key, expandWord(p.value, env, { escape: state.escape })] as const);
      for (const [k, v] of values) setEnv(c, k, v);
      return true;
    }
    case 'ARG': applyArg(state, ins, scope); return true;
    case 'USER': c.User = x(ins.user); return true;
    case 'CMD': c.Cmd = commandArgs(state, ins.command); state.cmdSet = true; return true;
    case 'ENTRYPOINT':
      c.Entrypoint = commandArgs(state, ins.command);
      if (!state.cmdSet) c.Cmd = null;
      return true;
    case 'LABEL': {
      const labels = { ...(c.Labels ?? {}) };
      for (const p of ins.pairs) labels[x(p.key)] = x(p.value);
      c.Labels = labels;
      return true;
    }
    case 'EXPOSE': {
      const ports = { ...(c.ExposedPorts ?? {}) };
      for (const word of ins.ports) {
        for (const spec of expandWords(word, expansionEnv(state), { escape: state.escape })) {
          const p = parseExposePort(spec);
          for (let n = p.start; n <= p.end; n++) ports[`${n}/${p.protocol}`] = {};
        }
      }
      c.ExposedPorts = ports;
      return true;
    }
    case 'VOLUME': {
      const volumes = { ...(c.Volumes ?? {}) };
      for (const v of ins.volumes) {
        const path = x(v);
        if (path === '') throw errors.invalidArgument('DOCKERFILE_VOLUME', 'VOLUME specified can not be an empty string');
        volumes[path] = {};
      }
      c.Volumes = volumes;
      return true;
    }
    case 'STOPSIGNAL': c.StopSignal = x(ins.signal); return true;
    case 'HEALTHCHECK': {
      const h = ins.health;
      c.Healthcheck = {
        Test: h.test,
        ...(h.interval ? { Interval: h.interval } : {}),
        ...(h.timeout ? { Timeout: h.timeout } : {}),
        ...(h.startPeriod ? { StartPeriod: h.startPeriod } : {}),
        ...(h.startInterval ? { StartInterval: h.startInterval } : {}),
        ...(h.retries ? { Retries: h.retries } : {}),
      };
      return true;
    }
    case 'SHELL': c.Shell = [...ins.shell]; return true;
    case 'ONBUILD': c.OnBuild = [...(c.OnBuild ?? []), ins.expression]; return true;
    case 'MAINTAINER': state.author = ins.maintainer; return true;
    default: return false;
  }
}

/** BuildKit-style history text for an instruction. */
export function createdBy(ins: Instruction, state: StageState): string {
  if (ins.kind === 'RUN') return `RUN ${commandArgs(state, ins.command).join(' ')} # buildkit`;
  if (ins.kind === 'COPY' || ins.kind === 'ADD' || ins.kind === 'WORKDIR') return `${ins.original.replace(/\s+/g, ' ').trim()} # buildkit`;
  return ins.original.replace(/\s+/g, ' ').trim();
}
