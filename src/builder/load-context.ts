/**
 * loadBuildContext: turns `berth build CONTEXT` into a directory, the Dockerfile text and the
 * ignore matcher. CONTEXT is a directory, a tarball (plain or gzip), or `-`: stdin holding
 * either a tar (the context) or a Dockerfile (an empty context).
 */
import { readFileSync, statSync } from 'node:fs';
import { lstat, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';

import { errnoCode, errors, secureJoin } from '../base/index.js';
import { applyLayer, decompress } from '../core/diff/index.js';
import { completeTar } from './complete-tar.js';
import { DockerignoreMatcher, dockerignoreCandidates, findDockerignore, parseDockerignore } from './dockerignore/index.js';

export interface LoadedContext {
  dir: string;
  dockerfile: { text: string; name: string };
  ignore?: DockerignoreMatcher;
  /** The directory was extracted for this build (a tarball or stdin), and goes with cleanup. */
  temporary: boolean;
  /** Removes the temporary directory of a tar context. */
  cleanup(): Promise<void>;
}

export interface LoadContextOptions {
  /** `-f`: a path (relative to the current directory, else to the context) or `-` for stdin. */
  dockerfile?: string;
  stdin?: Readable;
  /** Where temporary context directories go (default: the OS temp dir); `<root>/build-tmp` makes them recoverable after a SIGKILL. */
  tmpDir?: string;
  /** The owner tag the directory's name starts with under tmpDir (base/operation.ts). */
  ownerTag?: string;
  /**
   * The context is all the client shares with the engine (the Engine API's /build): `dockerfile`
   * is a path inside the context, resolved (symlinks too) inside it, and never stdin; the
   * Dockerfile and ignore files must be regular files.
   */
  contextOnly?: boolean;
}

/** Under the store's build-tmp/ the name carries the owner, so a killed build's context is recovered (recover-stale.ts). */
function tempPrefix(options: LoadContextOptions): string {
  return options.tmpDir === undefined ? join(tmpdir(), 'berth-context-') : join(options.tmpDir, `${options.ownerTag ?? process.pid}-context-`);
}

async function readAll(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The first `n` bytes of `input` (fewer at its end), and the whole stream again, those bytes included. */
async function peek(input: Readable, n: number): Promise<{ head: Buffer; all: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input.iterator({ destroyOnReturn: false })) {
    chunks.push(Buffer.from(chunk as Uint8Array));
    size += (chunk as Uint8Array).length;
    if (size >= n) break;
  }
  const head = Buffer.concat(chunks);
  const all = Readable.from((async function* () {
    yield head;
    yield* input;
  })());
  return { head, all };
}

/** A tar, plain or compressed as applyLayer reads them (gzip, zstd). */
function isTarOrGzip(buf: Buffer): boolean {
  if (buf[0] === 0x1f && buf[1] === 0x8b) return true;
  if (buf.length >= 4 && buf.readUInt32LE(0) === 0xfd2fb528) return true;
  return buf.length >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar';
}

async function extract(data: Buffer | Readable, options: LoadContextOptions): Promise<string> {
  const dir = await mkdtemp(tempPrefix(options));
  try {
    // decompressed here so that a tar without its end (what the docker CLI sends with `-f -`) is completed
    const { stream } = await decompress(Buffer.isBuffer(data) ? Readable.from([data]) : data, 'the build context');
    await applyLayer(completeTar(stream), dir, { whiteouts: 'delete', sameOwner: false, layerName: 'the build context' });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

async function readDockerfile(path: string, shown: string): Promise<string> {
  try {
    // synchronously: a small file, read by every build
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
      throw errors.notFound('DOCKERFILE_NOT_FOUND', `Cannot read Dockerfile "${shown}": no such file`);
    }
    throw err;
  }
}

/** Where `-f` points: as given from the current directory when it exists there, else inside the context. */
async function locateDockerfile(contextDir: string, name: string | undefined): Promise<string> {
  if (name === undefined) return join(contextDir, 'Dockerfile');
  if (isAbsolute(name)) return name;
  const fromCwd = resolve(name);
  try {
    await stat(fromCwd);
    return fromCwd;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  return join(contextDir, name);
}

async function ignoreFor(dir: string, dockerfilePath: string | undefined, contextOnly: boolean): Promise<DockerignoreMatcher | undefined> {
  if (contextOnly) {
    // each candidate resolved inside the context: a symlinked ignore file never reads a host file
    for (const candidate of dockerignoreCandidates(dir, dockerfilePath)) {
      const path = secureJoin(dir, relative(dir, candidate));
      if (!(await isRegularFile(path))) continue;
      return new DockerignoreMatcher(parseDockerignore(await readFile(path, 'utf8')));
    }
    return undefined;
  }
  const found = await findDockerignore(dir, dockerfilePath);
  return found === undefined ? undefined : new DockerignoreMatcher(parseDockerignore(found.text));
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return false;
    throw err;
  }
}

/** `dockerfile` inside the context: symlinks resolved within it, and a regular file (NotFound otherwise, Docker's words). */
async function dockerfileInContext(dir: string, name: string): Promise<string> {
  const path = secureJoin(dir, name);
  if (!(await isRegularFile(path))) throw errors.notFound('DOCKERFILE_NOT_FOUND', `Cannot locate specified Dockerfile: ${name}`);
  return path;
}

/** Loads the context named on the command line. Throws NotFound for a missing context or Dockerfile. */
export async function loadBuildContext(spec: string, options: LoadContextOptions = {}): Promise<LoadedContext> {
  let dir: string;
  let temporary = false;
  let stdinDockerfile: string | undefined;
  if (spec === '-') {
    if (!options.stdin) throw errors.invalidArgument('NO_STDIN', 'Cannot read the build context from stdin');
    // a tar is unpacked as it arrives (a daemon's build context can be large); anything else is a Dockerfile
    const { head, all } = await peek(options.stdin, 262);
    if (isTarOrGzip(head)) {
      dir = await extract(all, options);
      temporary = true;
    } else {
      stdinDockerfile = (await readAll(all)).toString('utf8');
      dir = await mkdtemp(tempPrefix(options));
      temporary = true;
    }
  } else {
    const path = resolve(spec);
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw errors.notFound('CONTEXT_NOT_FOUND', `Cannot use build context "${spec}": no such file or directory`);
      throw err;
    }
    if (st.isDirectory()) dir = path;
    else {
      dir = await extract(await readFile(path), options);
      temporary = true;
    }
  }
  const cleanup = async () => {
    if (temporary) await rm(dir, { recursive: true, force: true });
  };
  try {
    let name: string;
    let text: string;
    let dockerfilePath: string | undefined;
    if (stdinDockerfile !== undefined) {
      text = stdinDockerfile;
      name = 'Dockerfile';
    } else if (options.contextOnly === true) {
      name = options.dockerfile ?? 'Dockerfile';
      dockerfilePath = await dockerfileInContext(dir, name);
      text = await readFile(dockerfilePath, 'utf8');
    } else if (options.dockerfile === '-') {
      if (!options.stdin) throw errors.invalidArgument('NO_STDIN', 'Cannot read the Dockerfile from stdin');
      text = (await readAll(options.stdin)).toString('utf8');
      name = 'Dockerfile';
    } else {
      dockerfilePath = await locateDockerfile(dir, options.dockerfile);
      const rel = relative(dir, dockerfilePath);
      name = rel.startsWith('..') ? dockerfilePath : rel;
      text = await readDockerfile(dockerfilePath, options.dockerfile ?? 'Dockerfile');
    }
    const ignore = await ignoreFor(dir, dockerfilePath, options.contextOnly === true);
    return { dir, dockerfile: { text, name }, ...(ignore ? { ignore } : {}), temporary, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
