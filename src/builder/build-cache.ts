/**
 * The layer cache index: one small JSON file per step key under `<root>/build-cache/index/`,
 * mapping the key to the layer the step produced (or to "no change"). Keys are digests of the
 * step's inputs (chainKey in stage-state.ts, over the parent key and what the step reads),
 * never of mtimes. A hit is used only while its blob is still in the content store.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';

import type { Digest } from '../base/index.js';
import type { Descriptor } from '../oci/index.js';
import { errnoCode, writeFileAtomic, writeJsonAtomic } from '../base/index.js';

export interface CacheRecord {
  /** The layer's diffID (== its blob digest: layers are stored uncompressed); null when the step changed nothing. */
  diffId: Digest | null;
  size: number;
  /** When the step's content was made; history entries reuse it so a cached rebuild gives the same image. */
  created?: string;
  /** The chain id of the layer stack the step's layer was committed on (its unpacked snapshot's key). */
  chainId?: string;
  /** The instruction, as history shows it (`system df -v`, `builder prune`). */
  createdBy?: string;
  /** The layer's blob when it is not stored uncompressed under its diffID (a `--cache-from` image's pulled layer). */
  layer?: Descriptor;
  /** When a build last used the record (made it or hit it); the build cache's LRU order. */
  lastUsed?: string;
  /** How many builds used it (a use within a minute of the last one is not counted: see BuildCache.used). */
  usage?: number;
}

/** The inputs of one step, kept to explain a later miss. */
export interface StepInputs {
  label: string;
  key: string;
  inputs: Record<string, string>;
}

export interface BuildCacheOptions {
  /** Where `RUN --mount=type=cache` directories go instead of `build-cache/mounts` (a check's builds: their own, removed with them). */
  mountsDir?: string;
  /** false: nothing is recorded (the index and the last build are left as they are). */
  record?: boolean;
}

export class BuildCache {
  private readonly dir: string;
  private readonly mountsDir: string;
  private readonly record: boolean;
  /** Records of `--cache-from` images' inline caches (inline-cache.ts): hits after the index's, never written to it. */
  private readonly seeded = new Map<string, CacheRecord>();

  constructor(root: string, options: BuildCacheOptions = {}) {
    this.dir = join(root, 'build-cache');
    this.mountsDir = options.mountsDir ?? join(this.dir, 'mounts');
    this.record = options.record ?? true;
  }

  /** Directory for persistent `RUN --mount=type=cache` contents. */
  cacheMountDir(id: string): string {
    return join(this.mountsDir, id);
  }

  /** Marks a cache mount used now: its directory's times are the mount's place in the LRU order. */
  async touchMount(dir: string): Promise<void> {
    const now = new Date();
    await utimes(dir, now, now);
  }

  private async readJson<T>(path: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      if (err instanceof SyntaxError) return undefined; // a torn file is a miss, never an error
      throw err;
    }
  }

  /**
   * The record of a step key. Read synchronously: a record is a few hundred bytes, and a fully
   * cached rebuild reads one per step, where four trips through the thread pool (open, stat, read,
   * close) cost more than the read.
   */
  async get(key: string): Promise<CacheRecord | undefined> {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'index', `${key}.json`), 'utf8')) as CacheRecord;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return this.seeded.get(key);
      if (err instanceof SyntaxError) return this.seeded.get(key); // a torn file is a miss, never an error
      throw err;
    }
  }

  /** Adds records of an image's inline cache, for this build only. */
  seed(records: ReadonlyMap<string, CacheRecord>): void {
    for (const [key, record] of records) if (!this.seeded.has(key)) this.seeded.set(key, record);
  }

  async put(key: string, record: CacheRecord): Promise<void> {
    if (!this.record) return;
    await mkdir(join(this.dir, 'index'), { recursive: true });
    await writeFileAtomic(join(this.dir, 'index', `${key}.json`), JSON.stringify({ lastUsed: new Date().toISOString(), usage: 1, ...record }), { fsync: false });
  }

  /**
   * A hit: the record used once more, now (LRU eviction and `builder prune --filter until=` read
   * it), to the minute: a record used within the last minute is not rewritten, so that a fully
   * cached rebuild, run again and again, writes nothing (a rewrite is four syscalls, one a rename).
   */
  used(key: string, record: CacheRecord, now = Date.now()): void {
    // An image's record stays the image's: its layer goes with the image, not with the build cache.
    if (this.seeded.get(key) === record) return;
    if (record.lastUsed !== undefined && now - Date.parse(record.lastUsed) < 60_000) return;
    writeJsonAtomic(join(this.dir, 'index', `${key}.json`), { ...record, lastUsed: new Date(now).toISOString(), usage: (record.usage ?? 1) + 1 });
  }

  /** The step inputs of the previous build of the same Dockerfile (for --explain-cache). */
  async lastBuild(id: string): Promise<StepInputs[] | undefined> {
    return this.readJson<StepInputs[]>(join(this.dir, 'last', `${id}.json`));
  }

  /** Records the step inputs of this build; a build whose inputs are those already recorded (a cached rebuild) writes nothing. */
  async saveLastBuild(id: string, steps: StepInputs[]): Promise<void> {
    if (!this.record) return;
    const path = join(this.dir, 'last', `${id}.json`);
    const text = JSON.stringify(steps);
    if (readIfExists(path) === text) return;
    await mkdir(join(this.dir, 'last'), { recursive: true });
    await writeFileAtomic(path, text, { fsync: false });
  }
}

/** A small file's text, or undefined when it cannot be read (missing: the write that follows says what else is wrong). */
function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
