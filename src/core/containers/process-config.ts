import type { ImageRuntimeConfig } from '../../oci/index.js';

/** The PATH a container gets when its image sets none (Docker's default). */
export const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Entrypoint followed by Cmd, as Docker combines them. */
export function processArgs(config: ImageRuntimeConfig): string[] {
  return [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
}

/** Image env overridden by user env, by variable name, keeping the image's order. */
export function mergeEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out = [...base];
  for (const entry of overrides) {
    const key = entry.split('=')[0];
    const index = out.findIndex((e) => e.split('=')[0] === key);
    if (index >= 0) out[index] = entry;
    else out.push(entry);
  }
  return out;
}

/** Docker puts HOSTNAME right after PATH unless the user set it. */
export function withHostname(env: readonly string[], hostname: string): string[] {
  if (env.some((e) => e.startsWith('HOSTNAME='))) return [...env];
  const out = [...env];
  out.splice(out.findIndex((e) => e.startsWith('PATH=')) + 1, 0, `HOSTNAME=${hostname}`);
  return out;
}
