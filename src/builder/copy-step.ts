/**
 * COPY and ADD steps: resolve the sources (context, `--from` stage/image, heredocs, ADD URLs),
 * key the step by what the files contain, and copy them into the stage's filesystem. ADD also
 * extracts local tar archives (plain, gzip, bzip2, xz) into the destination directory.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, rm, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import { diskFullError, errnoCode, errors, fetchTrusting, isDiskFull } from '../base/index.js';
import { applyLayer } from '../core/diff/index.js';
import { resolveUser } from '../core/spec/index.js';
import { readUserDatabase } from '../services/index.js';
import type { SourceEntry, SourceRoot } from './context-sources.js';
import { resolveSources } from './context-sources.js';
import type { CopyTarget } from './copy-files.js';
import { copyEntry, hashEntries, mkdirInImage, writeInlineFile } from './copy-files.js';
import { openArchive } from './open-archive.js';
import type { AddInstruction, CopyInstruction } from './dockerfile/index.js';
import { ShellLexer, expandWord } from './dockerfile/index.js';
import type { StepEnv } from './layer-step.js';
import { layerStep } from './layer-step.js';
import type { StageState } from './stage-state.js';
import { chainKey, createdBy, expansionEnv } from './stage-state.js';

export interface CopyStepEnv extends StepEnv {
  context: SourceRoot;
  /** The build's temporary directory, made on first use (a fully cached build makes none). */
  tmpDir: () => string;
  openRoot(from: string): Promise<{ root: SourceRoot; release: () => Promise<void> }>;
  rootKey(from: string): Promise<string>;
  recordInputs(inputs: Record<string, string>): void;
}

type Planned =
  | { kind: 'entries'; root: SourceRoot; entries: SourceEntry[]; mayExtract: boolean }
  | { kind: 'inline'; name: string; content: string }
  | { kind: 'from'; path: string };

/** Mounts the --from root and resolves the paths planned in it. */
async function resolveFrom(env: CopyStepEnv, from: string | undefined, planned: Planned[], releases: (() => Promise<void>)[]): Promise<Exclude<Planned, { kind: 'from' }>[]> {
  if (from === undefined || !planned.some((p) => p.kind === 'from')) return planned as Exclude<Planned, { kind: 'from' }>[];
  const opened = await env.openRoot(from);
  releases.push(opened.release);
  const out: Exclude<Planned, { kind: 'from' }>[] = [];
  for (const p of planned) {
    out.push(p.kind === 'from' ? { kind: 'entries', root: opened.root, entries: await resolveSources(opened.root, p.path), mayExtract: false } : p);
  }
  return out;
}

async function copyPlanned(p: Exclude<Planned, { kind: 'from' }>, target: CopyTarget): Promise<void> {
  const what = (name: string) => `"${name}" into "${target.dest}" of the image`;
  if (p.kind === 'inline') {
    try {
      writeInlineFile(p.name, p.content, target);
    } catch (err) {
      throw diskFullError(err, what(p.name));
    }
    return;
  }
  for (const entry of p.entries) {
    try {
      const archive = p.mayExtract && entry.st.isFile() ? await openArchive(entry.abs) : undefined;
      if (archive) {
        const dir = mkdirInImage(target.rootfs, target.dest, target.uid, target.gid);
        await applyLayer(archive, dir, { whiteouts: 'delete', sameOwner: true, layerName: entry.rel });
      } else await copyEntry(p.root, entry, target);
    } catch (err) {
      throw diskFullError(err, what(entry.rel));
    }
  }
}

function parseChmod(value: string): number {
  if (!/^0?[0-7]{3,4}$/.test(value)) throw errors.invalidArgument('DOCKERFILE_CHMOD', `Invalid --chmod value "${value}": expected an octal mode such as 755`);
  return Number.parseInt(value, 8);
}

async function owner(rootfs: string, chown: string | undefined): Promise<{ uid: number; gid: number }> {
  if (chown === undefined || chown === '') return { uid: 0, gid: 0 };
  let spec = chown;
  // `--chown=123` means 123:123, as in Docker.
  if (/^\d+$/.test(chown)) spec = `${chown}:${chown}`;
  // Without passwd/group files only numeric ids resolve, as in Docker.
  const user = resolveUser(spec, readUserDatabase(rootfs));
  return { uid: user.uid, gid: user.gid };
}

function isUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/** Why a fetch failed, from undici's cause: the errno code (ECONNREFUSED, ENOTFOUND, ...) in words. */
function fetchCause(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && cause.cause !== undefined && errnoCode(cause) === undefined) cause = cause.cause;
  const code = errnoCode(cause);
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the server',
    ENOTFOUND: 'host not found (DNS lookup failed)',
    EAI_AGAIN: 'DNS lookup failed temporarily',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_SOCKET: 'connection closed by the server',
  };
  const text = code !== undefined ? words[code] : undefined;
  const message = cause instanceof Error ? cause.message : String(cause);
  return text !== undefined ? `${text} (${code})` : message;
}

/**
 * The file name BuildKit gives a downloaded URL: the last segment of its decoded path, or
 * `__unnamed__` when the path has none.
 */
export function urlFileName(url: URL): string {
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // a malformed escape: keep the path as written, as Go's url.Parse would refuse it anyway
  }
  const base = posix.basename(path);
  return base === '' || base === '.' || base === '/' || base === '..' ? '__unnamed__' : base;
}

const checksumPattern = /^(sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$/;

/**
 * ADD <url>, as BuildKit's HTTP source does: the body streamed to a file (mode 0600, mtime from
 * Last-Modified), named by the URL's path; `--checksum` verified before anything is copied.
 * Failures name the URL and the cause (connection refused, DNS, HTTP status).
 */
async function download(url: string, dir: string, checksum: string | undefined, signal: AbortSignal | undefined): Promise<SourceEntry & { root: SourceRoot }> {
  const parsed = new URL(url);
  const failed = (why: string, cause?: unknown) => errors.unavailable('ADD_DOWNLOAD_FAILED', `Cannot download "${url}": ${why}`, { cause });
  let response: Response;
  try {
    response = await fetchTrusting(parsed, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw err;
    throw failed(fetchCause(err), err);
  }
  if (!response.ok || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    throw failed(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  }
  const name = urlFileName(parsed);
  const file = join(dir, name);
  const algorithm = checksum?.slice(0, checksum.indexOf(':')) ?? 'sha256';
  const hash = createHash(algorithm);
  try {
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        yield chunk;
      }
    }, createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    if (signal?.aborted || isDiskFull(err)) throw diskFullError(err, `the download of "${url}"`);
    throw failed(fetchCause(err), err);
  }
  await chmod(file, 0o600);
  if (checksum !== undefined) {
    const actual = `${algorithm}:${hash.digest('hex')}`;
    if (actual !== checksum) throw errors.dataLoss('ADD_CHECKSUM_MISMATCH', `Downloaded "${url}" has digest "${actual}", expected "${checksum}"`);
  }
  const lastModified = Date.parse(response.headers.get('last-modified') ?? '');
  if (!Number.isNaN(lastModified)) await utimes(file, new Date(lastModified), new Date(lastModified));
  const root: SourceRoot = { dir, isContext: false, description: 'download' };
  const [entry] = await resolveSources(root, name.replace(/[*?[\\]/g, '\\$&'));
  return { ...(entry as SourceEntry), root };
}


function expandHeredoc(content: string, state: StageState): string {
  return new ShellLexer({ escape: state.escape, rawQuotes: true, rawEscapes: true }).process(content, expansionEnv(state)).result;
}

interface PlanContext {
  from: string | undefined;
  tmpDir: () => Promise<string>;
}

/** What each source stands for, and the cache-key text for it (file contents, never mtimes). */
async function planSources(env: CopyStepEnv, state: StageState, ins: CopyInstruction | AddInstruction, pc: PlanContext): Promise<{ planned: Planned[]; keyParts: string[] }> {
  const x = (w: string) => expandWord(w, expansionEnv(state), { escape: state.escape });
  const planned: Planned[] = [];
  // A --from root is keyed by its stage's cache key and mounted only when the step runs.
  const keyParts: string[] = pc.from === undefined ? [] : [`from ${await env.rootKey(pc.from)}`];
  const checksum = ins.kind === 'ADD' && ins.checksum !== undefined ? x(ins.checksum) : undefined;
  if (checksum !== undefined) {
    if (!checksumPattern.test(checksum)) throw errors.invalidArgument('ADD_CHECKSUM_INVALID', `Invalid --checksum "${checksum}": expected sha256:, sha384: or sha512: and the hex digest`);
    if (ins.sources.some((src) => src.kind !== 'path' || !isUrl(x(src.path)))) {
      throw errors.invalidArgument('ADD_CHECKSUM_NOT_URL', `ADD --checksum can only be used with HTTP(S) sources (${ins.location.file}:${ins.location.line})`);
    }
  }
  for (const src of ins.sources) {
    if (src.kind === 'heredoc') {
      const content = src.expand ? expandHeredoc(src.content, state) : src.content;
      planned.push({ kind: 'inline', name: src.name, content });
      keyParts.push(`inline ${src.name} ${content}`);
      continue;
    }
    const path = x(src.path);
    if (ins.kind === 'ADD' && isUrl(path)) {
      const got = await download(path, await pc.tmpDir(), checksum, env.signal);
      planned.push({ kind: 'entries', root: got.root, entries: [got], mayExtract: false });
      keyParts.push(`url ${path} ${await hashEntries(got.root, [got])}`);
    } else if (pc.from !== undefined) {
      planned.push({ kind: 'from', path });
      keyParts.push(`path ${path}`);
    } else {
      const entries = await resolveSources(env.context, path);
      planned.push({ kind: 'entries', root: env.context, entries, mayExtract: ins.kind === 'ADD' });
      keyParts.push(`path ${path} ${await hashEntries(env.context, entries, env.fileDigests)}`);
    }
  }
  return { planned, keyParts };
}

export async function copyStep(env: CopyStepEnv, state: StageState, ins: CopyInstruction | AddInstruction): Promise<boolean> {
  const x = (w: string) => expandWord(w, expansionEnv(state), { escape: state.escape });
  const destWritten = x(ins.dest);
  const dest = posix.isAbsolute(destWritten) ? destWritten : posix.join(state.config.WorkingDir || '/', destWritten);
  const endsAsDir = destWritten.endsWith('/') || ['.', '..'].includes(posix.basename(destWritten)) || destWritten === '';
  const from = ins.kind === 'COPY' && ins.from !== undefined ? x(ins.from) : undefined;
  const chown = ins.chown === undefined ? undefined : x(ins.chown);
  const chmod = ins.chmod === undefined ? undefined : parseChmod(x(ins.chmod));
  if (ins.exclude.length > 0 || (ins.kind === 'COPY' && ins.parents)) {
    throw errors.notImplemented('COPY_FLAG_UNSUPPORTED', `${ins.kind} ${ins.exclude.length > 0 ? '--exclude' : '--parents'} is not supported yet`);
  }
  if (ins.sources.length > 1 && !endsAsDir) {
    throw errors.invalidArgument('COPY_DEST_NOT_DIR', `${ins.location.file}:${ins.location.line}:${ins.location.column}: When using ${ins.kind} with more than one source file, the destination must be a directory and end with a /`);
  }
  const releases: (() => Promise<void>)[] = [];
  let tmp: string | undefined;
  const tmpDir = async () => {
    if (tmp === undefined) {
      const made = await mkdtemp(join(env.tmpDir(), 'copy-'));
      releases.push(async () => rm(made, { recursive: true, force: true }));
      tmp = made;
    }
    return tmp;
  };
  try {
    const { planned, keyParts } = await planSources(env, state, ins, { from, tmpDir });
    const inputs = { instruction: ins.kind, sources: JSON.stringify(keyParts), dest, chown: chown ?? '', chmod: chmod?.toString(8) ?? '' };
    env.recordInputs(inputs);
    const key = chainKey(state.key, ...Object.values(inputs));
    state.key = key;
    const result = await layerStep(env, state, { key, createdBy: createdBy(ins, state) }, async (rootfs) => {
      const resolved = await resolveFrom(env, from, planned, releases);
      const total = resolved.reduce((n, p) => n + (p.kind === 'entries' ? p.entries.length : 1), 0);
      const ids = await owner(rootfs, chown);
      const target: CopyTarget = { rootfs, dest, destIsDir: endsAsDir || total > 1, ...ids, ...(chmod !== undefined ? { chmod } : {}) };
      for (const p of resolved) await copyPlanned(p, target);
    });
    return result.cached;
  } finally {
    for (const release of releases.reverse()) await release();
  }
}
