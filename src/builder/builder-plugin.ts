/**
 * The builder as the engine sees it (services' `Builder`): a build request from any client —
 * a context directory, a tarball or stdin — turned into a loaded context and run (or, for
 * `--check-reproducible`, run twice and compared: check-reproducible.ts); the Debian
 * bootstrap; the build cache's roots for garbage collection; `--change` instructions. The composition root (src/cmd)
 * hands it to the engine, loaded lazily, so commands that never build never load the builder.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { Operation } from '../base/index.js';
import type { BootstrapRequest, BuildRequest, BuildResult, BuildSecret } from '../api/index.js';
import type { Builder, BuilderDeps } from '../services/index.js';
import { bootstrapDebian } from './bootstrap-debian.js';
import { buildImage } from './build-image.js';
import { listCacheEntries, removeCacheEntries } from './cache-entries.js';
import { checkReproducible } from './check-reproducible.js';
import { buildCacheRoots } from './cache-roots.js';
import { applyConfigChanges } from './config-changes.js';
import { loadBuildContext } from './load-context.js';
import { buildLeftovers, recoverStaleBuilds } from './recover-stale.js';
import type { BuildOptions } from './types.js';

/** Temporary files live under the store's build-tmp/<owner>-…, which the next build cleans up if this one dies. */
async function buildTmp(deps: BuilderDeps): Promise<string> {
  const dir = join(deps.ctx.paths.root, 'build-tmp');
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function build(deps: BuilderDeps, request: BuildRequest, op: Operation): Promise<BuildResult> {
  return withLoadedRequest(deps, request, op, (options) => buildImage(deps, options, op));
}

/** The request as the builder runs it (its context loaded, its secrets as files), for as long as `fn` runs. */
async function withLoadedRequest<T>(deps: BuilderDeps, request: BuildRequest, op: Operation, fn: (options: BuildOptions) => Promise<T>): Promise<T> {
  const tmpDir = await buildTmp(deps);
  const loaded = await loadBuildContext(request.context, {
    tmpDir, ownerTag: op.tag,
    ...(request.stdin ? { stdin: request.stdin } : {}),
    ...(request.dockerfile !== undefined ? { dockerfile: request.dockerfile } : {}),
    ...(request.contextOnly === true ? { contextOnly: true } : {}),
  });
  let secretDir: string | undefined;
  try {
    const secrets = await secretFiles(request.secrets ?? {}, async () => (secretDir ??= await mkdtemp(join(tmpDir, `${op.tag}-secrets-`))));
    const { context: _context, stdin: _stdin, dockerfile: _dockerfile, secrets: _secrets, contextOnly: _contextOnly, ...rest } = request;
    return await fn({
      ...rest,
      contextDir: loaded.dir,
      persistentContext: !loaded.temporary,
      dockerfile: loaded.dockerfile,
      ...(loaded.ignore ? { ignore: loaded.ignore } : {}),
      secrets,
    });
  } finally {
    await loaded.cleanup();
    if (secretDir !== undefined) await rm(secretDir, { recursive: true, force: true });
  }
}

/** Secrets as files the RUN mounts can bind: values (`env=`) go to a private directory removed after the build. */
async function secretFiles(secrets: Record<string, BuildSecret>, dir: () => Promise<string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [id, secret] of Object.entries(secrets)) {
    if ('file' in secret) out[id] = secret.file;
    else {
      const file = join(await dir(), id);
      await writeFile(file, secret.value, { mode: 0o600 });
      out[id] = file;
    }
  }
  return out;
}

export const builder: Builder = {
  build,
  checkReproducible: (deps, request, op) => withLoadedRequest(deps, request, op, (options) => checkReproducible(deps, options, op)),
  async bootstrap(deps, name, request: BootstrapRequest, op) {
    const tmpDir = await buildTmp(deps);
    const { id } = await bootstrapDebian(deps.images, name, {
      ...request, tmpDir, ownerTag: op.tag, ...(op.signal ? { signal: op.signal } : {}),
    });
    return { id };
  },
  cacheRoots: (root) => buildCacheRoots(root),
  cacheEntries: (root) => listCacheEntries(root),
  removeCacheEntries: (root, entries) => removeCacheEntries(root, entries),
  leftovers: (ctx) => buildLeftovers(ctx),
  recoverStale: (ctx) => recoverStaleBuilds(ctx),
  applyChanges: (config, changes) => applyConfigChanges(config, changes),
};
