/**
 * `build` through a daemon's `POST /build` (the classic builder's protocol, as the docker CLI
 * speaks it without BuildKit): the context goes up as a tar made here — `.dockerignore` applied
 * on this side as the docker CLI applies it, the Dockerfile and the ignore file always included, a
 * Dockerfile from outside the context (or stdin) added as `.dockerfile.<random>` — and the
 * daemon's messages (`Step 2/5 : RUN make`, the RUN output, ` ---> Using cache`, `aux.ID`,
 * `errorDetail`) drive the CLI's build progress.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';

import { errnoCode, errors, randomHex } from '../base/index.js';
import type { Digest, Operation } from '../base/index.js';
import type { BuildProgress, BuildRequest, BuildResult } from '../api/index.js';
import { DockerignoreMatcher, parseDockerignore } from '../api/index.js';
import { parseReference } from '../oci/index.js';
import type { DockerApi } from './docker-api.js';
import { fromDaemon, jsonMessages, readAll } from './docker-api.js';
import type { DataEntry, HostEntry } from './host-tar.js';
import { packHostFiles, walkHost } from './host-tar.js';
import type { JsonMessage } from './remote-images.js';
import type { Unsupported } from './unsupported.js';

export async function remoteBuild(api: DockerApi, unsupported: Unsupported, request: BuildRequest, op?: Operation): Promise<BuildResult> {
  if (request.secrets && Object.keys(request.secrets).length > 0) throw unsupported('build --secret', "the Engine API's classic builder takes no secrets");
  if (request.runtime !== undefined) throw unsupported('build --runtime', 'the daemon chooses the runtime of RUN steps');
  if (request.pidsLimit !== undefined) throw unsupported('build --pids-limit', 'the daemon sets the limits of RUN steps');
  if (request.explainCache) op?.warn('--explain-cache: a daemon does not say why a step missed its cache');
  const context = await buildContext(request);
  const buildArgs = { ...(request.buildArgs ?? {}) };
  if (request.sourceDateEpoch !== undefined) buildArgs['SOURCE_DATE_EPOCH'] ??= String(request.sourceDateEpoch);
  const res = await api.request('POST', '/build', {
    query: {
      t: request.tags && request.tags.length > 0 ? request.tags : undefined,
      dockerfile: context.dockerfile,
      buildargs: Object.keys(buildArgs).length > 0 ? JSON.stringify(buildArgs) : undefined,
      target: request.target,
      labels: request.labels && Object.keys(request.labels).length > 0 ? JSON.stringify(request.labels) : undefined,
      nocache: request.noCache === true ? true : undefined,
      pull: request.pull === true ? true : undefined,
      // berth leaves no step container behind, a failed one included (the docker CLI keeps that one).
      rm: true,
      forcerm: true,
      networkmode: request.network === undefined || request.network === 'default' ? undefined : request.network,
      extrahosts: request.extraHosts && request.extraHosts.length > 0 ? request.extraHosts : undefined,
      ...stepLimitQuery(request.stepLimits),
      cachefrom: request.cacheFrom && request.cacheFrom.length > 0 ? JSON.stringify(request.cacheFrom) : undefined,
      version: '1',
    },
    body: request.compress ? context.body.pipe(createGzip()) : context.body,
    headers: { 'Content-Type': 'application/x-tar', 'X-Registry-Config': registryConfig(request.registryCredentials) },
    ...(op?.signal ? { signal: op.signal } : {}),
  });
  const result = await followBuild(res, request.progress, request.tags ?? []);
  // Without aux.ID (an old daemon) the id is the short one of `Successfully built`.
  if (!result.id.startsWith('sha256:')) {
    const full = (await api.json<{ Id: Digest }>('GET', `/images/${result.id}/json`)).Id;
    return { ...result, id: full, manifestDigest: full };
  }
  return result;
}

/** Each RUN step's limits as the docker CLI sends them (a number of CPUs as a quota of the default period). */
function stepLimitQuery(limits: BuildRequest['stepLimits']): Record<string, string | number | undefined> {
  if (!limits) return {};
  return {
    memory: limits.memory,
    memswap: limits.memorySwap,
    cpushares: limits.cpuShares,
    ...(limits.nanoCpus ? { cpuquota: Math.round(limits.nanoCpus / 1e4), cpuperiod: 100_000 } : {}),
    cpusetcpus: limits.cpusetCpus,
    cpusetmems: limits.cpusetMems,
    shmsize: limits.shmSize,
    ulimits: limits.ulimits?.length ? JSON.stringify(limits.ulimits.map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft }))) : undefined,
  };
}

/** X-Registry-Config: credentials for the FROM pulls, by registry. */
function registryConfig(credentials: BuildRequest['registryCredentials']): string {
  const map = Object.fromEntries(Object.entries(credentials ?? {}).map(([domain, c]) => [domain, { username: c.username, password: c.password, serveraddress: domain }]));
  return Buffer.from(JSON.stringify(map)).toString('base64url');
}

/** The tar of the context and the Dockerfile's name in it. */
async function buildContext(request: BuildRequest): Promise<{ body: Readable; dockerfile: string }> {
  const readStdin = async () => {
    if (!request.stdin) throw errors.invalidArgument('BUILD_NO_STDIN', 'The build context "-" needs standard input');
    return readAll(request.stdin);
  };
  if (request.context === '-') {
    if (request.dockerfile === '-') throw errors.invalidArgument('BUILD_TWO_STDIN', 'Cannot read both the context and the Dockerfile from standard input');
    const data = await readStdin();
    // A tar (plain or compressed) is the context; anything else is a Dockerfile with an empty context, as the docker CLI reads it.
    if (isArchive(data)) return { body: Readable.from([data]), dockerfile: request.dockerfile ?? 'Dockerfile' };
    return { body: await packHostFiles([{ name: 'Dockerfile', data }], { owner: { uid: 0, gid: 0 } }), dockerfile: 'Dockerfile' };
  }
  let st;
  try {
    st = await stat(request.context);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw errors.notFound('BUILD_CONTEXT_NOT_FOUND', `unable to prepare context: path "${request.context}" not found`);
    throw err;
  }
  if (!st.isDirectory()) {
    if (request.dockerfile === '-') throw errors.invalidArgument('BUILD_UNSUPPORTED_INPUT', 'Cannot build from a tarball context with a Dockerfile from standard input');
    return { body: createReadStream(request.context), dockerfile: request.dockerfile ?? 'Dockerfile' };
  }
  const dir = resolve(request.context);
  let dockerfilePath: string | undefined;
  let extra: { name: string; data: Buffer } | undefined;
  if (request.dockerfile === '-') {
    extra = { name: `.dockerfile.${randomHex(10)}`, data: await readStdin() };
  } else {
    dockerfilePath = await locateDockerfile(dir, request.dockerfile);
    const inside = relative(dir, dockerfilePath);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      extra = { name: `.dockerfile.${randomHex(10)}`, data: await readDockerfile(dockerfilePath, request.dockerfile ?? 'Dockerfile') };
    } else {
      await readDockerfile(dockerfilePath, request.dockerfile ?? 'Dockerfile');
    }
  }
  const dockerfile = extra?.name ?? relative(dir, dockerfilePath as string).split(sep).join('/');
  const matcher = await ignoreMatcher(dir, dockerfilePath, dockerfile);
  const files = walkHost(dir, '', { skip: (rel, isDir) => matcher !== undefined && (isDir ? matcher.canSkipDir(rel) : matcher.matches(rel)) });
  const owner = { uid: 0, gid: 0 };
  if (!extra) return { body: await packHostFiles(files, { owner }), dockerfile };
  const added = extra;
  async function* withExtra(): AsyncGenerator<HostEntry | DataEntry> {
    yield* files;
    yield added;
  }
  return { body: await packHostFiles(withExtra(), { owner }), dockerfile };
}

/** `-f`: as given from the current directory when it exists there, else inside the context (the builder's rule). */
async function locateDockerfile(dir: string, name: string | undefined): Promise<string> {
  if (name === undefined) return join(dir, 'Dockerfile');
  if (isAbsolute(name)) return name;
  try {
    await stat(resolve(name));
    return resolve(name);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  return join(dir, name);
}

async function readDockerfile(path: string, shown: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') throw errors.notFound('DOCKERFILE_NOT_FOUND', `Cannot read Dockerfile "${shown}": no such file`);
    throw err;
  }
}

/**
 * The ignore rules: `<Dockerfile>.dockerignore` beside the Dockerfile, else `.dockerignore` in
 * the context; the Dockerfile and `.dockerignore` themselves are always sent (the docker CLI adds
 * them back as exceptions), the daemon reads both.
 */
async function ignoreMatcher(dir: string, dockerfilePath: string | undefined, dockerfileName: string): Promise<DockerignoreMatcher | undefined> {
  const candidates = [...(dockerfilePath ? [join(dirname(dockerfilePath), `${basename(dockerfilePath)}.dockerignore`)] : []), join(dir, '.dockerignore')];
  for (const path of candidates) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') continue;
      throw err;
    }
    const patterns = parseDockerignore(text);
    return patterns.length === 0 ? undefined : new DockerignoreMatcher([...patterns, `!${dockerfileName}`, '!.dockerignore']);
  }
  return undefined;
}

function isArchive(data: Buffer): boolean {
  if (data[0] === 0x1f && data[1] === 0x8b) return true; // gzip
  if (data.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (data.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return true; // xz
  return data.length >= 262 && data.subarray(257, 262).toString('latin1') === 'ustar';
}

/** Reads the daemon's build messages into the CLI's progress; the image's id from `aux.ID` (or the last `Successfully built`). */
async function followBuild(res: Readable, progress: BuildProgress | undefined, tags: readonly string[]): Promise<BuildResult> {
  let step = 0;
  let steps = 0;
  let cachedSteps = 0;
  let started = Date.now();
  let id: string | undefined;
  let pending = '';
  let tail: string[] = [];
  let label = '';
  const finishStep = () => {
    if (step > 0) progress?.done(step, (Date.now() - started) / 1000);
  };
  const line = (text: string) => {
    const header = /^Step (\d+)\/(\d+) : (.*)$/.exec(text);
    if (header) {
      finishStep();
      step = Number(header[1]);
      steps = Number(header[2]);
      started = Date.now();
      tail = [];
      label = `[${step}/${steps}] ${header[3] as string}`;
      progress?.start(step, label);
      return;
    }
    if (text === ' ---> Using cache') {
      cachedSteps++;
      progress?.cached(step);
      return;
    }
    const built = /^Successfully built ([a-f0-9]+)$/.exec(text);
    if (built) {
      id ??= built[1];
      return;
    }
    if (/^ ---> (Running in )?[a-f0-9]{12}$/.test(text) || /^Removing intermediate container [a-f0-9]+$/.test(text) || /^Successfully tagged /.test(text) || /^ ---> [a-f0-9]{12}$/.test(text)) return;
    tail.push(text);
    if (tail.length > 20) tail.shift();
    progress?.output(step, Buffer.from(`${text}\n`));
  };
  for await (const message of jsonMessages<JsonMessage>(res)) {
    const failure = message.errorDetail?.message ?? message.error;
    if (failure !== undefined) {
      if (pending !== '') line(pending);
      progress?.failed(step, failure, tail.length > 0 ? `${tail.join('\n')}\n` : '');
      throw fromDaemon(errors.unknown('BUILD_FAILED', failure));
    }
    const aux = message.aux as { ID?: string } | undefined;
    if (aux?.ID) id = aux.ID;
    if (message.stream !== undefined) {
      pending += message.stream;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (text !== '') line(text);
      }
    } else if (message.status !== undefined) progress?.note(message.status);
  }
  if (pending !== '') line(pending);
  finishStep();
  if (id === undefined) throw errors.unknown('BUILD_NO_ID', 'The daemon finished the build without naming the image');
  return { id: id as Digest, manifestDigest: id as Digest, names: tags.map((t) => parseReference(t).full), steps, cachedSteps };
}
