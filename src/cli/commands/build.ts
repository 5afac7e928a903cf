import { writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';

import { errors } from '../../base/index.js';
import type { BuildNetwork, BuildProgress, BuildRequest, BuildSecret, BuildStepLimits } from '../../api/index.js';
import { parseExtraHost } from '../../api/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { FlagSpecs, Parsed } from '../args.js';

import type { Command } from '../command.js';
import { labelMap, limitFlagSpecs, limitFlags, refusedFlagSpec } from '../container-flags.js';
import { checkContentTrust, contentTrustFlags } from '../content-trust.js';
import { checkHostPlatform } from '../host-platform-flag.js';
import { interruptible } from '../interruptible.js';

/** Docker's build flags berth's builder cannot honour, each with why (refused, never ignored). */
const refusedFlags: readonly { name: string; kind: 'bool' | 'list' | 'string'; description: string; why: string }[] = [
  { name: 'cgroup-parent', kind: 'string', description: 'Optional parent cgroup for the RUN steps', why: 'RUN steps live in berth\'s own cgroup scopes' },
  { name: 'security-opt', kind: 'list', description: 'Security options of the RUN steps', why: 'RUN steps run with the default seccomp profile and capabilities' },
  { name: 'squash', kind: 'bool', description: 'Squash newly built layers into a single new layer', why: 'images keep their layers' },
];

export const buildCommand: Command = {
  name: 'build',
  usage: 'build [OPTIONS] PATH | TARBALL | -',
  description: 'Build an image from a Dockerfile',
  flags: {
    tag: { kind: 'list', short: 't', description: "Name and optionally a tag in the 'name:tag' format", value: 'list' },
    file: { kind: 'string', short: 'f', description: "Name of the Dockerfile (default: 'PATH/Dockerfile')", value: 'string' },
    'build-arg': { kind: 'list', description: 'Set build-time variables', value: 'list' },
    target: { kind: 'string', description: 'Set the target build stage to build', value: 'string' },
    'no-cache': { kind: 'bool', description: 'Do not use cache when building the image' },
    network: { kind: 'string', description: 'Network for RUN instructions: default (berth\'s default bridge), host or none', value: 'string' },
    'add-host': { kind: 'list', description: 'Add a custom host-to-IP mapping to RUN instructions\' /etc/hosts (host:ip, host:host-gateway)', value: 'list' },
    progress: { kind: 'string', description: 'Type of progress output: auto, plain, tty', value: 'string' },
    quiet: { kind: 'bool', short: 'q', description: 'Suppress the build output and print image ID on success' },
    secret: { kind: 'list', description: 'Secret to expose to the build: id=mysecret,src=/local/secret', value: 'list' },
    reproducible: { kind: 'bool', description: 'Build a reproducible image (SOURCE_DATE_EPOCH, default 0)' },
    pull: { kind: 'bool', description: 'Always pull the FROM images (missing ones are always pulled)' },
    'explain-cache': { kind: 'bool', description: 'Say why the first uncached step was not taken from the cache' },
    platform: { kind: 'string', description: 'Set platform (only the host platform is supported)', value: 'string' },
    runtime: { kind: 'string', description: 'OCI runtime for RUN steps: crun (default) or runc', value: 'string' },
    'pids-limit': { kind: 'string', description: 'Most processes a RUN step may have (default 4096, -1 for unlimited)', value: 'int' },
    // Each RUN step's limits, as `run`'s limit a container.
    ...limitFlagSpecs,
    'shm-size': { kind: 'string', description: 'Size of /dev/shm of each RUN step (default 64m)', value: 'bytes' },
    ulimit: { kind: 'list', description: 'Ulimit options of each RUN step (e.g. nofile=1024:2048)', value: 'ulimit' },
    isolation: { kind: 'string', description: 'Container isolation technology (only default: Linux has one)', value: 'string' },
    'cache-from': { kind: 'list', description: 'Images to consider as cache sources: stored images built with --build-arg BUILDKIT_INLINE_CACHE=1', value: 'strings' },
    compress: { kind: 'bool', description: 'Compress the build context using gzip (what goes to a daemon; a local build reads the context in place)' },
    ...refusedBuildFlags(),
    label: { kind: 'list', description: 'Set metadata for an image (KEY=VALUE)', value: 'list' },
    iidfile: { kind: 'string', description: 'Write the image ID to the file', value: 'string' },
    rm: { kind: 'bool', description: 'Remove intermediate containers after a successful build (always: berth, as BuildKit, keeps none)' },
    'force-rm': { kind: 'bool', description: 'Always remove intermediate containers (always: berth, as BuildKit, keeps none)' },
    ...contentTrustFlags,
    'check-reproducible': {
      kind: 'bool',
      description: 'Build twice from clean state (no build cache, fresh cache mounts, both at once) and compare the images layer by layer: '
        + 'exit 0 when they are the same, 2 when not, naming the steps, files and differences. Implies --no-cache and --reproducible '
        + '(SOURCE_DATE_EPOCH, default 0); names nothing, so no --tag',
    },
  },
  async run(ctx, args) {
    const [contextArg] = args.positionals;
    if (contextArg === undefined || args.positionals.length > 1) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth build" requires exactly 1 argument', { hint: "See 'berth build --help'" });
    }
    // `bridge` is what `default` means for RUN steps (Docker's classic builder takes both).
    const requested = flagString(args, 'network') ?? 'default';
    const network = requested === 'bridge' ? 'default' : requested;
    if (!['default', 'host', 'none'].includes(network)) throw errors.invalidArgument('BUILD_NETWORK', `Unsupported network "${network}": use default (bridge), host or none`);
    const platform = flagString(args, 'platform');
    checkHostPlatform(platform, 'BUILD_PLATFORM', 'build');
    checkContentTrust(args);
    refuseBuildFlags(args);
    const quiet = flagBool(args, 'quiet');
    const mode = progressMode(flagString(args, 'progress') ?? 'auto', ctx.stderr);
    const kept = quiet ? keptOutput() : undefined;
    const progress = kept ? plainProgress(kept) : mode === 'plain' ? plainProgress(ctx.stderr) : ttyProgress(ctx.stderr);
    const finish = () => ('finish' in progress ? (progress as { finish(): void }).finish() : undefined);
    const buildArgs = parseBuildArgs(flagList(args, 'build-arg'));
    const epoch = sourceDateEpoch(buildArgs, flagBool(args, 'reproducible'));
    const engine = ctx.engine();
    const file = flagString(args, 'file');
    const secrets = parseSecrets(flagList(args, 'secret'));
    const check = flagBool(args, 'check-reproducible');
    if (check && flagList(args, 'tag').length > 0) throw errors.invalidArgument('BUILD_CHECK_FLAGS', '--check-reproducible names no image: build without it to tag the image (-t)');
    if (check && flagBool(args, 'explain-cache')) throw errors.invalidArgument('BUILD_CHECK_FLAGS', '--check-reproducible uses no build cache: --explain-cache has nothing to explain');
    const iidfile = flagString(args, 'iidfile');
    if (check && iidfile !== undefined) throw errors.invalidArgument('BUILD_CHECK_FLAGS', '--check-reproducible names no image: --iidfile has no ID to write');
    const labels = labelMap(flagList(args, 'label'));
    if (check && !quiet) ctx.stderr.write(`berth: checking reproducibility: two builds from clean state at once, SOURCE_DATE_EPOCH=${epoch ?? 0}\n`);
    return interruptible(['SIGINT', 'SIGTERM', 'SIGHUP'], async (signal) => {
      try {
        const target = flagString(args, 'target');
        const runtime = flagString(args, 'runtime');
        const pids = flagString(args, 'pids-limit');
        const pidsLimit = pids === undefined ? undefined : Number(pids);
        if (pidsLimit !== undefined && !(Number.isInteger(pidsLimit) && (pidsLimit > 0 || pidsLimit === -1))) {
          throw errors.invalidArgument('INVALID_PIDS_LIMIT', `Invalid --pids-limit "${pids}": must be a positive integer or -1`);
        }
        const extraHosts = flagList(args, 'add-host').map(parseExtraHost);
        const stepLimits = buildStepLimits(args);
        // A list flag of the docker CLI's `strings` kind: commas separate values too.
        const cacheFrom = flagList(args, 'cache-from').flatMap((v) => v.split(',')).filter((v) => v !== '');
        const request: BuildRequest = {
          context: contextArg,
          // Only a context or Dockerfile given as `-` reads stdin (making process.stdin costs a few ms).
          ...(contextArg === '-' || file === '-' ? { stdin: ctx.stdin } : {}),
          ...(file !== undefined ? { dockerfile: file } : {}),
          tags: flagList(args, 'tag'),
          buildArgs,
          ...(target !== undefined ? { target } : {}),
          noCache: flagBool(args, 'no-cache'),
          pull: flagBool(args, 'pull'),
          network: network as BuildNetwork,
          secrets,
          ...(epoch !== undefined ? { sourceDateEpoch: epoch } : {}),
          explainCache: flagBool(args, 'explain-cache'),
          progress,
          ...(runtime !== undefined ? { runtime } : {}),
          ...(pidsLimit !== undefined ? { pidsLimit } : {}),
          ...(stepLimits ? { stepLimits } : {}),
          ...(flagBool(args, 'compress') ? { compress: true } : {}),
          ...(cacheFrom.length > 0 ? { cacheFrom } : {}),
          ...(Object.keys(labels).length > 0 ? { labels } : {}),
          ...(extraHosts.length > 0 ? { extraHosts } : {}),
        };
        if (check) {
          const { checkReproducibleBuild } = await import('./check-reproducible.js');
          return await checkReproducibleBuild(engine, { ...request, sourceDateEpoch: epoch ?? 0 }, ctx.operation(signal), { stdout: ctx.stdout, stderr: ctx.stderr, quiet, finish });
        }
        const result = await engine.images.build(request, ctx.operation(signal));
        finish();
        // As Docker writes it: the ID alone, no newline.
        if (iidfile !== undefined) writeFileSync(iidfile, result.id);
        if (quiet) ctx.stdout.write(`${result.id}\n`);
        else {
          ctx.stderr.write(`writing image ${result.id} done\n`);
          for (const name of result.names) ctx.stderr.write(`naming to ${name} done\n`);
        }
        return 0;
      } catch (err) {
        // `-q` is quiet while the build works; a failed one shows what it printed, as Docker's does.
        if (kept) ctx.stderr.write(kept.text());
        throw err;
      } finally {
        finish();
      }
    });
  },
};

function refusedBuildFlags(): FlagSpecs {
  return Object.fromEntries(refusedFlags.map((flag) => [flag.name, refusedFlagSpec(flag, flag.why)]));
}

function refuseBuildFlags(args: Parsed): void {
  for (const { name, why } of refusedFlags) {
    const value = args.flags.get(name);
    if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) continue;
    throw errors.invalidArgument('UNSUPPORTED_OPTION', `--${name} is not supported by berth's builder: ${why}`);
  }
}

/** `--memory`, `--cpu-*`, `--cpuset-*`, `--shm-size`, `--ulimit`: what `run` takes, for every RUN step; undefined when none is given. */
function buildStepLimits(args: Parsed): BuildStepLimits | undefined {
  const isolation = flagString(args, 'isolation');
  if (isolation !== undefined && isolation !== '' && isolation !== 'default') {
    throw errors.invalidArgument('UNSUPPORTED_OPTION', `--isolation ${isolation} is not supported by berth: Linux has only the default isolation`);
  }
  const { ulimits, ...limits } = limitFlags(args);
  const out: BuildStepLimits = { ...limits, ...(ulimits.length > 0 ? { ulimits } : {}) };
  return Object.keys(out).length > 0 ? out : undefined;
}

function progressMode(value: string, out: Writable): 'plain' | 'tty' {
  if (value === 'plain') return 'plain';
  if (value === 'tty') return 'tty';
  if (value !== 'auto') throw errors.invalidArgument('BUILD_PROGRESS', `Unsupported progress "${value}": use auto, plain or tty`);
  return (out as Writable & { isTTY?: boolean }).isTTY ? 'tty' : 'plain';
}

function parseBuildArgs(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      // `--build-arg NAME` takes the value from the environment, as Docker does.
      const value = process.env[item];
      if (value !== undefined) out[item] = value;
    } else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function sourceDateEpoch(buildArgs: Record<string, string>, reproducible: boolean): number | undefined {
  const raw = buildArgs['SOURCE_DATE_EPOCH'] ?? process.env['SOURCE_DATE_EPOCH'];
  if (raw !== undefined && raw !== '') {
    if (!/^\d+$/.test(raw)) throw errors.invalidArgument('SOURCE_DATE_EPOCH', `Invalid SOURCE_DATE_EPOCH "${raw}": expected seconds since the epoch`);
    return Number(raw);
  }
  return reproducible ? 0 : undefined;
}

/**
 * `--secret id=x,src=FILE` (also `source=`), or `id=x,env=VAR`: the value is read from this
 * process's environment (the engine keeps it in a private file for the build's duration).
 */
function parseSecrets(list: readonly string[]): Record<string, BuildSecret> {
  const out: Record<string, BuildSecret> = {};
  for (const spec of list) {
    const fields = new Map(spec.split(',').map((f) => {
      const eq = f.indexOf('=');
      return eq < 0 ? [f, ''] : [f.slice(0, eq), f.slice(eq + 1)];
    }));
    const id = fields.get('id');
    if (!id) throw errors.invalidArgument('BUILD_SECRET', `Invalid --secret "${spec}": id= is required`);
    if (!/^[A-Za-z0-9._-]+$/.test(id) || id === '.' || id === '..') {
      throw errors.invalidArgument('BUILD_SECRET', `Invalid --secret "${spec}": the id may hold only letters, digits, '.', '_' and '-'`);
    }
    const src = fields.get('src') ?? fields.get('source');
    const envName = fields.get('env');
    if (src) out[id] = { file: src };
    else if (envName) {
      const value = process.env[envName];
      if (value === undefined) throw errors.notFound('BUILD_SECRET', `Secret "${id}": environment variable "${envName}" is not set`);
      out[id] = { value };
    } else throw errors.invalidArgument('BUILD_SECRET', `Invalid --secret "${spec}": src= or env= is required`);
  }
  return out;
}

/** What a `-q` build printed, for when it fails: its last `limit` bytes, in memory. */
function keptOutput(limit = 4 << 20): { write(text: string): void; text(): string } {
  const parts: string[] = [];
  let size = 0;
  return {
    write(text) {
      parts.push(text);
      size += text.length;
      while (size > limit && parts.length > 1) size -= parts.shift()!.length;
    },
    text: () => parts.join(''),
  };
}

/** BuildKit's plain output: `#N label`, the RUN output with timestamps, `#N CACHED` / `#N DONE 0.3s`. */
function plainProgress(out: { write(text: string): unknown }): BuildProgress {
  const started = new Map<number, number>();
  const labels = new Map<number, string>();
  const partial = new Map<number, string>();
  const cachedSteps = new Set<number>();
  const write = (s: string) => void out.write(s);
  return {
    start(step, label) {
      started.set(step, Date.now());
      labels.set(step, label);
      write(`#${step} ${label}\n`);
    },
    output(step, chunk) {
      const text = (partial.get(step) ?? '') + chunk.toString('utf8');
      const lines = text.split('\n');
      partial.set(step, lines.pop() ?? '');
      const t = ((Date.now() - (started.get(step) ?? Date.now())) / 1000).toFixed(3);
      for (const line of lines) write(`#${step} ${t} ${line}\n`);
    },
    cached(step) {
      cachedSteps.add(step);
      write(`#${step} CACHED\n\n`);
    },
    done(step, seconds) {
      const rest = partial.get(step);
      if (rest) write(`#${step} ${rest}\n`);
      partial.delete(step);
      if (!cachedSteps.has(step)) write(`#${step} DONE ${seconds.toFixed(1)}s\n\n`);
    },
    failed(step, message, tail) {
      write(`#${step} ERROR: ${message}\n------\n > ${labels.get(step) ?? ''}:\n${indent(tail)}------\n`);
    },
    note(message) {
      write(`${message}\n`);
    },
  };
}

/**
 * A compact terminal view: finished steps as one line each (`=> CACHED [2/5] COPY ...  0.0s`),
 * below them the running steps with their time and latest output line, redrawn in place.
 * RUN output is shown in full only when a step fails.
 */
function ttyProgress(out: Writable): BuildProgress & { finish(): void } {
  const labels = new Map<number, string>();
  const running = new Map<number, { started: number; last: string }>();
  const cachedSteps = new Set<number>();
  let pending = '';
  let liveLines = 0;
  const width = () => Math.max(40, (out as Writable & { columns?: number }).columns ?? 100);
  const fit = (s: string) => (s.length > width() - 1 ? `${s.slice(0, width() - 2)}…` : s);
  const redraw = () => {
    let text = liveLines > 0 ? `\x1b[${liveLines}A\x1b[J` : '';
    text += pending;
    pending = '';
    const live: string[] = [];
    for (const [step, r] of running) {
      live.push(fit(` => ${labels.get(step) ?? ''}  ${((Date.now() - r.started) / 1000).toFixed(1)}s`));
      if (r.last) live.push(fit(`    \x1b[2m${r.last}\x1b[0m`));
    }
    liveLines = live.length;
    out.write(text + live.map((l) => `${l}\n`).join(''));
  };
  const timer = setInterval(redraw, 100);
  timer.unref();
  out.write('[+] Building\n');
  return {
    start(step, label) {
      labels.set(step, label);
      running.set(step, { started: Date.now(), last: '' });
    },
    output(step, chunk) {
      const r = running.get(step);
      const line = chunk.toString('utf8').split('\n').filter((l) => l.trim() !== '').pop();
      if (r && line !== undefined) r.last = [...line].map((c) => (c.charCodeAt(0) < 32 ? ' ' : c)).join('');
    },
    cached(step) {
      cachedSteps.add(step);
    },
    done(step, seconds) {
      running.delete(step);
      const label = labels.get(step) ?? '';
      pending += `${fit(` => ${cachedSteps.has(step) ? 'CACHED ' : ''}${label}`)}${' '.repeat(Math.max(1, 60 - label.length))}${seconds.toFixed(1)}s\n`;
      redraw();
    },
    failed(step, message, tail) {
      running.delete(step);
      pending += ` => ERROR ${labels.get(step) ?? ''}\n------\n${indent(tail)}------\n${message}\n`;
      redraw();
    },
    note(message) {
      pending += `${message}\n`;
    },
    finish() {
      clearInterval(timer);
      redraw();
    },
  };
}

function indent(text: string): string {
  const lines = text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
  return lines.map((l) => `    ${l}\n`).join('');
}


