/**
 * RUN: the command runs as an isolated container on the stage's current filesystem (the same
 * spec as `berth run`), by default on berth's default bridge (a namespace of its own with outbound
 * NAT, as Docker's builder gives; `--network=host` shares the host's, `--network=none` isolates it). Its output goes to the progress view as it comes;
 * a non-zero exit fails the build with the command, the output tail and the exit code.
 */
import { open, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { errors } from '../base/index.js';
import { runBuildProcess } from '../services/index.js';
import type { NetworkMode } from '../services/index.js';
import type { RunInstruction, RunMount } from './dockerfile/index.js';
import { expandWord, heredocText, parseRunMount } from './dockerfile/index.js';
import { hashEntries } from './copy-files.js';
import { resolveSources } from './context-sources.js';
import type { StepEnv } from './layer-step.js';
import { layerStep } from './layer-step.js';
import type { MountSources } from './run-mounts.js';
import { prepareRunMounts } from './run-mounts.js';
import type { ArgScope, StageState } from './stage-state.js';
import { DEFAULT_SHELL, PROXY_ARGS, chainKey, createdBy, expansionEnv, runEnv } from './stage-state.js';
import type { BuildNetwork, BuildProgress } from './types.js';
import type { BuildStepLimits } from '../api/index.js';

export interface RunStepEnv extends StepEnv {
  scope: ArgScope;
  progress: BuildProgress;
  step: number;
  network: BuildNetwork;
  mountSources: MountSources;
  runtime?: string;
  pidsLimit?: number;
  /** Memory, CPU, /dev/shm and ulimits of the step: not in its cache key (they do not change what it makes). */
  limits?: BuildStepLimits;
  /** `--add-host` entries (NAME:IP): the steps' /etc/hosts lines, in their cache keys. */
  extraHosts: readonly string[];
  /** Cache-key input for a `from=` stage or image. */
  rootKey(from: string): Promise<string>;
  /** Records the inputs of this step's key, for --explain-cache. */
  recordInputs(inputs: Record<string, string>): void;
}

const heredocOnly = /^\s*\d*<<-?\s*\S+\s*$/;

/** The process arguments of a RUN, with BuildKit's heredoc rules. */
export function runArgs(state: StageState, ins: RunInstruction): { args: string[]; script?: { path: string; content: string } } {
  const shell = state.config.Shell ?? DEFAULT_SHELL;
  if (ins.command.form === 'exec') return { args: [...ins.command.args] };
  const [first] = ins.heredocs;
  if (!first) return { args: [...shell, ins.command.script] };
  if (ins.heredocs.length === 1 && heredocOnly.test(ins.command.script)) {
    const content = heredocText(first);
    if (content.startsWith('#!')) return { args: ['/dev/pipes/heredoc'], script: { path: '/dev/pipes/heredoc', content } };
    return { args: [...shell, content] };
  }
  const bodies = ins.heredocs.map((d) => `${d.content}${d.name}\n`).join('');
  return { args: [...shell, `${ins.command.script}\n${bodies}`] };
}

function networkOf(ins: RunInstruction, build: BuildNetwork): NetworkMode {
  const chosen = ins.network === 'default' ? build : ins.network;
  return chosen === 'none' || chosen === 'host' ? chosen : 'bridge';
}

async function mountKey(env: RunStepEnv, m: RunMount): Promise<string> {
  if (m.type === 'secret') return `secret ${m.id ?? ''} ${m.target ?? ''} ${m.env ?? ''}`; // never the value
  if (m.type !== 'bind') return m.raw;
  if (m.from !== undefined) return `${m.raw} ${await env.rootKey(m.from)}`;
  const entries = await resolveSources(env.mountSources.context, m.source ?? '.');
  return `${m.raw} ${await hashEntries(env.mountSources.context, entries)}`;
}

/** Streams a growing log file to the progress view and keeps its tail. */
class LogFollower {
  private position = 0;
  private tailText = '';
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  constructor(private readonly handle: FileHandle, private readonly onChunk: (chunk: Buffer) => void) {}
  start(): void {
    this.timer = setInterval(() => void this.drain(), 100);
  }
  /** Single-flight: a tick while a drain runs joins it, so no chunk is read (and shown) twice. */
  drain(): Promise<void> {
    this.draining ??= this.readNew().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }
  private async readNew(): Promise<void> {
    for (;;) {
      const buf = Buffer.alloc(65536);
      const { bytesRead } = await this.handle.read(buf, 0, buf.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      this.tailText = (this.tailText + chunk.toString('utf8')).slice(-4096);
      this.onChunk(chunk);
    }
  }
  async stop(): Promise<string> {
    if (this.timer) clearInterval(this.timer);
    await this.drain();
    await this.drain(); // what arrived while the last tick's drain was finishing
    return this.tailText.split('\n').slice(-20).join('\n');
  }
}

interface PlannedRun {
  args: string[];
  script: { path: string; content: string } | undefined;
  env: string[];
  cwd: string;
  user: string;
  network: NetworkMode;
  mounts: RunMount[];
}

export async function runStep(env: RunStepEnv, state: StageState, ins: RunInstruction): Promise<boolean> {
  if (ins.security === 'insecure') {
    throw errors.permissionDenied('BUILD_INSECURE', 'RUN --security=insecure is not allowed: berth builds every step in the default sandbox');
  }
  const x = (w: string) => expandWord(w, expansionEnv(state), { escape: state.escape });
  const { args, script } = runArgs(state, ins);
  const run: PlannedRun = {
    args, script, env: runEnv(state, env.scope), cwd: state.config.WorkingDir || '/', user: state.config.User ?? '',
    network: networkOf(ins, env.network), mounts: ins.mounts.map((m) => parseRunMount(m.raw, { expand: x })),
  };
  // Proxy args reach the process but not the key, as in Docker; secrets' values never do.
  const inputs: Record<string, string> = {
    command: JSON.stringify(run.args),
    env: JSON.stringify(run.env.filter((e) => !PROXY_ARGS.includes(e.slice(0, e.indexOf('='))))),
    user: run.user,
    workdir: run.cwd,
    network: run.network,
    mounts: JSON.stringify(await Promise.all(run.mounts.map((m) => mountKey(env, m)))),
    script: script?.content ?? '',
    // Only when given, so that the keys of builds without them stay as they were.
    ...(env.extraHosts.length > 0 ? { hosts: JSON.stringify(env.extraHosts) } : {}),
  };
  env.recordInputs(inputs);
  state.key = chainKey(state.key, 'RUN', ...Object.values(inputs));
  const result = await layerStep(env, state, { key: state.key, createdBy: createdBy(ins, state) }, async (rootfs, upper) => {
    const { exitCode, tail } = await execute(env, run, rootfs, upper);
    if (exitCode !== 0) {
      const message = `process "${run.args.join(' ')}" did not complete successfully: exit code: ${exitCode}`;
      env.progress.failed(env.step, message, tail);
      throw errors.failedPrecondition('BUILD_RUN_FAILED', `${location(ins)}: ${message}`);
    }
  });
  return result.cached;
}

/** Runs the process with its mounts, its output going to a log the progress view follows. */
async function execute(env: RunStepEnv, run: PlannedRun, rootfs: string, upper: string): Promise<{ exitCode: number; tail: string }> {
  const prepared = await prepareRunMounts(run.mounts, run.cwd, env.mountSources);
  const logPath = join(env.mountSources.tmpDir(), `run-${env.step}.log`);
  const log = await open(logPath, 'w+');
  const follower = new LogFollower(log, (chunk) => env.progress.output(env.step, chunk));
  let exitCode: number;
  let tail: string;
  try {
    const extra = [...prepared.mounts];
    if (run.script) {
      const file = join(env.mountSources.tmpDir(), `heredoc-${env.step}`);
      await writeFile(file, run.script.content, { mode: 0o755 });
      extra.push({ destination: run.script.path, type: 'bind', source: file, options: ['rbind', 'ro', 'rprivate'] });
    }
    follower.start();
    exitCode = await runBuildProcess(env.ctx, {
      rootfs, args: run.args, env: [...run.env, ...prepared.env], cwd: run.cwd, user: run.user, network: run.network, mounts: extra,
      stdio: ['ignore', log.fd, log.fd], upperDir: upper,
      ...(env.runtime !== undefined ? { runtime: env.runtime } : {}),
      ...(env.pidsLimit !== undefined ? { pidsLimit: env.pidsLimit } : {}),
      ...(env.limits ? { limits: env.limits } : {}),
      ...(env.extraHosts.length > 0 ? { extraHosts: env.extraHosts } : {}),
    }, env.op);
  } finally {
    tail = await follower.stop();
    await log.close();
    await rm(logPath, { force: true });
    await prepared.release();
  }
  return { exitCode, tail };
}

function location(ins: RunInstruction): string {
  return `${ins.location.file}:${ins.location.line}:${ins.location.column}`;
}
