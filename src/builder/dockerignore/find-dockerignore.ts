import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { errnoCode } from '../../base/index.js';

export interface FoundDockerignore {
  /** Absolute path of the file used. */
  path: string;
  text: string;
}

/** Read synchronously: a small file, or (most builds) none, where the thread pool costs more than the call. */
async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The candidate ignore files in the order Docker tries them. */
export function dockerignoreCandidates(contextDir: string, dockerfilePath?: string): string[] {
  const context = resolve(contextDir);
  const out: string[] = [];
  if (dockerfilePath !== undefined) {
    const df = resolve(context, dockerfilePath);
    out.push(join(dirname(df), `${basename(df)}.dockerignore`));
  }
  out.push(join(context, '.dockerignore'));
  return out;
}

/**
 * Finds the ignore file for a build: `<Dockerfile name>.dockerignore` next to the Dockerfile
 * (e.g. `build/app.Dockerfile.dockerignore`) wins over `<context>/.dockerignore`. A relative
 * dockerfilePath is taken from the context directory. Undefined when neither exists.
 */
export async function findDockerignore(contextDir: string, dockerfilePath?: string): Promise<FoundDockerignore | undefined> {
  for (const path of dockerignoreCandidates(contextDir, dockerfilePath)) {
    const text = await readIfExists(path);
    if (text !== undefined) return { path, text };
  }
  return undefined;
}
