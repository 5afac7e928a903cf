/**
 * The layer cache index: one small JSON file per step key under `<root>/build-cache/index/`,
 * mapping the key to the layer the step produced (or to "no change"). Keys are digests of the
 * step's inputs (chainKey in stage-state.ts, over the parent key and what the step reads),
 * never of mtimes. A hit is used only while its blob is still in the content store.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Digest } from '../base/index.js';
import { errnoCode, writeFileAtomic } from '../base/index.js';

export interface CacheRecord {
  /** The layer's diffID (== its blob digest: layers are stored uncompressed); null when the step changed nothing. */
  diffId: Digest | null;
  size: number;
  /** When the step's content was made; history entries reuse it so a cached rebuild gives the same image. */
  created?: string;
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

  constructor(root: string, options: BuildCacheOptions = {}) {
    this.dir = join(root, 'build-cache');
    this.mountsDir = options.mountsDir ?? join(this.dir, 'mounts');
    this.record = options.record ?? true;
  }

  /** Directory for persistent `RUN --mount=type=cache` contents. */
  cacheMountDir(id: string): string {
    return join(this.mountsDir, id);
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

  async get(key: string): Promise<CacheRecord | undefined> {
    return this.readJson<CacheRecord>(join(this.dir, 'index', `${key}.json`));
  }

  async put(key: string, record: CacheRecord): Promise<void> {
    if (!this.record) return;
    await mkdir(join(this.dir, 'index'), { recursive: true });
    await writeFileAtomic(join(this.dir, 'index', `${key}.json`), JSON.stringify(record), { fsync: false });
  }

  /** The step inputs of the previous build of the same Dockerfile (for --explain-cache). */
  async lastBuild(id: string): Promise<StepInputs[] | undefined> {
    return this.readJson<StepInputs[]>(join(this.dir, 'last', `${id}.json`));
  }

  async saveLastBuild(id: string, steps: StepInputs[]): Promise<void> {
    if (!this.record) return;
    await mkdir(join(this.dir, 'last'), { recursive: true });
    await writeFileAtomic(join(this.dir, 'last', `${id}.json`), JSON.stringify(steps), { fsync: false });
  }
}
