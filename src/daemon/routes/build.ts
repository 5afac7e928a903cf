/**
 * `POST /build`: the classic builder's protocol (what docker 20.10 uses without DOCKER_BUILDKIT,
 * and docker 28 when buildx is missing or DOCKER_BUILDKIT=0). The body is the context as a tar
 * (plain, gzip or zstd), unpacked by the builder's context loader under the store's build-tmp;
 * the Dockerfile is read inside it only. The answer is the JSON messages the docker CLI prints
 * (§3.18 of the reference): `Step N/M : ...`, ` ---> <id>`, RUN output, `Successfully built`,
 * `Successfully tagged`, the image id as aux; a failed RUN ends it with an errorDetail whose code
 * is the command's exit status (the CLI's exit code). Every query parameter is honoured, or
 * refused with a 400 naming it when set to something berth's builder cannot do.
 */
import { StringDecoder } from 'node:string_decoder';

import { beginOperation, BerthError, errors, isBerthError, randomHex } from '../../base/index.js';
import type { BuildInstruction, BuildNetwork, BuildProgress, BuildRequest, BuildResult, BuildStepLimits } from '../../api/index.js';
import { nanoCpusOfQuota, parseExtraHost, parseUlimit } from '../../api/index.js';
import { hostPlatformName, isHostPlatform, parseReference } from '../../oci/index.js';
import type { ApiCall } from '../api-call.js';
import { errorText, JsonMessageStream } from '../json-messages.js';
import { registryConfig } from '../registry-auth.js';
import type { Router } from '../router.js';

const refuse = (param: string, why: string) => errors.invalidArgument('BUILD_PARAMETER_UNSUPPORTED', `${param} is not supported by berth's builder: ${why}`);

/** A query parameter holding JSON (`buildargs`, `labels`, `cachefrom`, `ulimits`); empty and `null` are undefined. */
function jsonParam<T>(call: ApiCall, name: string): T | undefined {
  const text = call.string(name);
  if (text === undefined || text === 'null') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw errors.invalidArgument('INVALID_PARAMETER', `invalid value for ${name}: ${JSON.stringify(text)} is not JSON`);
  }
}

function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw errors.invalidArgument('INVALID_PARAMETER', `invalid value for ${name}: a JSON object was expected`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    // a build arg sent as null (`--build-arg NAME` with NAME unset on the client) is not set: its ARG default applies
    if (v === null) continue;
    if (typeof v !== 'string') throw errors.invalidArgument('INVALID_PARAMETER', `invalid value for ${name}: ${JSON.stringify(k)} is not a string`);
    out[k] = v;
  }
  return out;
}

/** `memory`, `memswap`, `cpushares`, `cpuperiod`, `cpuquota`, `cpusetcpus`, `cpusetmems`, `shmsize`, `ulimits`: each RUN step's limits (0 and empty are unset, as the CLI sends them). */
function stepLimitParams(call: ApiCall): BuildStepLimits | undefined {
  const out: BuildStepLimits = {};
  const positive = (name: string) => {
    const v = call.int(name);
    // -1: unlimited swap (memswap), no quota (cpuquota).
    if (v === -1 && name === 'cpuquota') return undefined;
    if (v !== undefined && v < 0 && !(name === 'memswap' && v === -1)) throw errors.invalidArgument('INVALID_PARAMETER', `invalid value for ${name}: it can not be negative`);
    return v === undefined || v === 0 ? undefined : v;
  };
  const memory = positive('memory');
  if (memory !== undefined) out.memory = memory;
  const swap = positive('memswap');
  if (swap !== undefined) out.memorySwap = swap;
  const shares = positive('cpushares');
  if (shares !== undefined) out.cpuShares = shares;
  const nano = nanoCpusOfQuota(positive('cpuquota') ?? 0, positive('cpuperiod') ?? 0, { quota: 'cpuquota', period: 'cpuperiod' }, false);
  if (nano !== undefined) out.nanoCpus = nano;
  const cpus = call.string('cpusetcpus');
  if (cpus) out.cpusetCpus = cpus;
  const mems = call.string('cpusetmems');
  if (mems) out.cpusetMems = mems;
  const shm = positive('shmsize');
  if (shm !== undefined) out.shmSize = shm;
  const ulimits = jsonParam<unknown>(call, 'ulimits');
  if (ulimits !== undefined) {
    if (!Array.isArray(ulimits)) throw errors.invalidArgument('INVALID_PARAMETER', 'invalid value for ulimits: a JSON list was expected');
    const list = ulimits.map((u: { Name?: unknown; Soft?: unknown; Hard?: unknown }) => {
      if (typeof u?.Name !== 'string' || typeof u.Soft !== 'number' || typeof u.Hard !== 'number') {
        throw errors.invalidArgument('INVALID_PARAMETER', `invalid value for ulimits: ${JSON.stringify(u)} is not {"Name", "Soft", "Hard"}`);
      }
      return parseUlimit(`${u.Name}=${u.Soft}:${u.Hard}`);
    });
    if (list.length > 0) out.ulimits = list;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The query as berth's BuildRequest; what the builder cannot do is refused, named. */
function buildRequest(call: ApiCall): Omit<BuildRequest, 'context' | 'stdin' | 'progress'> {
  const version = call.string('version');
  if (version !== undefined && version !== '1') throw refuse(`version=${version} (BuildKit)`, 'the daemon speaks the classic builder\'s protocol; use it (DOCKER_BUILDKIT=0, or docker without buildx)');
  const remote = call.string('remote');
  if (remote !== undefined) throw refuse(`remote=${remote}`, 'send the build context as the request body');
  // rm=0 (docker-py's default) is not refused: berth's RUN steps are not containers of the store,
  // so there is none to keep; the build runs as with rm=1, without the removal lines (ClassicBuildView).
  if (call.bool('squash')) throw refuse('squash', 'images keep their layers');
  if (call.string('outputs') !== undefined) throw refuse('outputs', 'it is a BuildKit option');
  const isolation = call.string('isolation');
  if (isolation !== undefined && isolation !== 'default') throw refuse(`isolation=${isolation}`, 'Linux builds have one isolation');
  if (call.string('cgroupparent')) throw refuse('cgroupparent', 'RUN steps live in berth\'s own cgroup scopes');
  const cacheFrom = jsonParam<unknown>(call, 'cachefrom') ?? [];
  if (!Array.isArray(cacheFrom) || cacheFrom.some((v) => typeof v !== 'string')) throw errors.invalidArgument('INVALID_PARAMETER', 'invalid value for cachefrom: a JSON list of image names was expected');
  const stepLimits = stepLimitParams(call);
  // One HOST:IP per parameter (docker 20.10 and 28 send `extrahosts=a%3A1.1.1.1&extrahosts=b%3A...`).
  const extraHosts = call.query.getAll('extrahosts').filter((v) => v !== '').map(parseExtraHost);
  const mode = call.string('networkmode') ?? 'default';
  const network = mode === 'bridge' ? 'default' : mode;
  if (!['default', 'host', 'none'].includes(network)) throw refuse(`networkmode=${mode}`, 'RUN steps use default (bridge), host or none');
  const platform = call.string('platform');
  if (platform !== undefined && !isHostPlatform(platform)) throw refuse(`platform=${platform}`, `only the host platform ${hostPlatformName()} is built`);
  const tags = call.query.getAll('t').filter((t) => t !== '');
  for (const tag of tags) parseReference(tag);
  const target = call.string('target');
  const dockerfile = call.string('dockerfile');
  const labels = stringMap(jsonParam(call, 'labels'), 'labels');
  return {
    ...(dockerfile !== undefined ? { dockerfile } : {}),
    tags,
    buildArgs: stringMap(jsonParam(call, 'buildargs'), 'buildargs'),
    ...(target !== undefined ? { target } : {}),
    noCache: call.bool('nocache'),
    pull: call.bool('pull'),
    network: network as BuildNetwork,
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
    ...(extraHosts.length > 0 ? { extraHosts } : {}),
    ...(stepLimits ? { stepLimits } : {}),
    ...(cacheFrom.length > 0 ? { cacheFrom: cacheFrom as string[] } : {}),
    // only what the client sent: the daemon's own config.json is never used for a client's pulls
    registryCredentials: registryConfig(call),
    contextOnly: true,
  };
}

/**
 * BuildProgress as the classic builder's messages. Output of a step is passed through as it
 * comes (multi-byte characters kept whole); the last instruction's ` ---> <id>` waits for the
 * image's id, so that it names what `Successfully built` names.
 */
class ClassicBuildView implements BuildProgress {
  private readonly steps = new Map<number, { run: boolean; container: string; running: boolean; cached: boolean }>();
  private readonly decoders = new Map<number, StringDecoder>();
  /** How many instructions the build has (the last one's id is the image's). */
  private total = 0;
  /** A failed RUN: Docker's message and the command's exit status. */
  failure: { message: string; code: number } | undefined;
  /** With `q`: what would have been said, sent only when the build fails (as dockerd's). */
  private readonly held: string[] = [];

  constructor(private readonly out: JsonMessageStream, private readonly quiet: boolean, private readonly removes = true) {}

  private say(text: string): void {
    if (text === '') return;
    if (this.quiet) this.held.push(text);
    else this.out.write({ stream: text });
  }

  /** A quiet build failed: its output goes out before the error, so that the CLI shows why. */
  replay(): void {
    for (const text of this.held.splice(0)) this.out.write({ stream: text });
  }

  instruction(event: BuildInstruction): void {
    this.say(`Step ${event.index}/${event.total} : ${event.text}`);
    this.say('\n');
    this.total = event.total;
    if (event.step !== undefined) {
      this.steps.set(event.step, { run: /^run\s/i.test(event.text), container: randomHex(6), running: false, cached: false });
    }
  }

  private running(step: number): void {
    const s = this.steps.get(step);
    if (s?.run && !s.running) {
      s.running = true;
      this.say(` ---> Running in ${s.container}\n`);
    }
  }

  private flush(step: number): void {
    const decoder = this.decoders.get(step);
    if (decoder) this.say(decoder.end());
    this.decoders.delete(step);
  }

  start(): void {}

  output(step: number, chunk: Buffer): void {
    this.running(step);
    let decoder = this.decoders.get(step);
    if (!decoder) this.decoders.set(step, (decoder = new StringDecoder('utf8')));
    this.say(decoder.write(chunk));
  }

  cached(step: number): void {
    const s = this.steps.get(step);
    if (s) s.cached = true;
  }

  done(step: number): void {
    this.flush(step);
    const s = this.steps.get(step);
    if (!s) return;
    if (s.cached) this.say(' ---> Using cache\n');
    else if (s.run) {
      this.running(step);
      if (this.removes) this.say(`Removing intermediate container ${s.container}\n`);
    }
  }

  failed(step: number, message: string): void {
    this.flush(step);
    this.running(step);
    const m = /^process "(.*)" did not complete successfully: exit code: (\d+)$/s.exec(message);
    if (m) this.failure = { message: `The command '${m[1] ?? ''}' returned a non-zero code: ${m[2] ?? ''}`, code: Number(m[2]) };
  }

  note(message: string): void {
    this.say(`${message}\n`);
  }

  instructionDone(index: number, id: string): void {
    // the target's last instruction: its id is the image's, said once the image exists (finish)
    if (index === this.total) return;
    this.say(` ---> ${id.replace(/^sha256:/, '').slice(0, 12)}\n`);
  }

  finish(result: BuildResult): void {
    const short = result.id.replace(/^sha256:/, '').slice(0, 12);
    if (this.quiet) {
      this.out.write({ stream: `${result.id}\n` });
      this.out.write({ aux: { ID: result.id } });
      return;
    }
    this.say(` ---> ${short}\n`);
    this.out.write({ aux: { ID: result.id } });
    this.say(`Successfully built ${short}\n`);
    for (const name of result.names) this.say(`Successfully tagged ${parseReference(name).familiar}\n`);
  }
}

/**
 * A Dockerfile parse error in dockerd's words, which tools look for (`dockerfile parse error line
 * N: ...`); berth's message names the file and column (`Dockerfile:2:1: unknown instruction ...`).
 */
function dockerfileError(err: unknown): unknown {
  if (!isBerthError(err, 'InvalidArgument') || !err.hint?.startsWith('Dockerfile parse error')) return err;
  const m = /^.*?:(\d+):\d+: (.*)$/s.exec(err.message);
  if (!m) return err;
  return new BerthError(err.kind, err.code, `dockerfile parse error line ${m[1] ?? ''}: ${m[2] ?? ''}`, { cause: err });
}

export function addBuildRoutes(router: Router): void {
  router.add('POST', '/build', async (call) => {
    const request = buildRequest(call);
    const stream = new JsonMessageStream(call);
    const view = new ClassicBuildView(stream, call.bool('q'), call.bool('rm', true));
    const op = beginOperation({ signal: call.signal });
    try {
      const result = await call.engine.images.build({ ...request, context: '-', stdin: call.body(), progress: view }, op);
      view.finish(result);
      stream.end();
    } catch (err) {
      view.replay();
      if (view.failure && stream.started) stream.fail(new Error(view.failure.message), view.failure.code);
      else stream.fail(stream.started ? new Error(errorText(err)) : dockerfileError(err));
    } finally {
      op.end();
    }
  });
}
