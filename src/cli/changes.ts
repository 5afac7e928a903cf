import { errors } from '../base/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';
import { mergeEnv } from '../api/index.js';

const known = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/**
 * Applies `--change` instructions (`CMD ["sh"]`, `ENV A=1`, `WORKDIR /app`, ...) to an image
 * config, as `docker import --change` and `docker commit --change` do.
 */
export function applyChanges(config: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  const out: ImageRuntimeConfig = { ...config };
  for (const change of changes) {
    const match = /^\s*(\w+)(?:\s+([\s\S]*))?$/.exec(change);
    const keyword = match?.[1]?.toUpperCase();
    const rest = match?.[2]?.trim() ?? '';
    if (keyword !== undefined && rest === '' && known.has(keyword)) {
      throw errors.invalidArgument('INVALID_CHANGE', `Invalid --change "${change}": ${keyword} requires at least one argument`);
    }
    switch (keyword) {
      case 'CMD':
        out.Cmd = commandForm(rest);
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = commandForm(rest);
        break;
      case 'ENV':
        out.Env = mergeEnv(out.Env ?? [], pairs(rest, change));
        break;
      case 'LABEL':
        out.Labels = { ...out.Labels, ...Object.fromEntries(pairs(rest, change).map((p) => p.split(/=(.*)/s, 2) as [string, string])) };
        break;
      case 'WORKDIR':
        out.WorkingDir = rest;
        break;
      case 'USER':
        out.User = rest;
        break;
      case 'STOPSIGNAL':
        out.StopSignal = rest;
        break;
      case 'EXPOSE':
        out.ExposedPorts = { ...out.ExposedPorts, ...Object.fromEntries(rest.split(/\s+/).map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) };
        break;
      case 'VOLUME': {
        const list = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
        out.Volumes = { ...out.Volumes, ...Object.fromEntries(list.map((v) => [v, {}])) };
        break;
      }
      default:
        throw errors.invalidArgument('INVALID_CHANGE', `Invalid --change "${change}": ${keyword ?? 'an instruction'} is not one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR`);
    }
  }
  return out;
}

function commandForm(text: string): string[] {
  if (text.startsWith('[')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
    } catch {
      // Not JSON: Docker treats it as the shell form.
    }
  }
  return ['/bin/sh', '-c', text];
}

/** `A=1 B="two words"` or the legacy `A value with spaces`. */
function pairs(text: string, change: string): string[] {
  if (!/^[^\s=]+=/.test(text)) {
    const [key, ...value] = text.split(/\s+/);
    if (!key) throw errors.invalidArgument('INVALID_CHANGE', `Invalid --change "${change}": missing name`);
    // Docker: the legacy `ENV NAME VALUE` form needs both.
    if (value.length === 0) throw errors.invalidArgument('INVALID_CHANGE', `Invalid --change "${change}": "${key}" needs a value (NAME=VALUE or NAME VALUE)`);
    return [`${key}=${value.join(' ')}`];
  }
  const out: string[] = [];
  for (const m of text.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const raw = m[2] ?? '';
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw.startsWith("'") ? raw.slice(1, -1) : raw;
    out.push(`${m[1]}=${value}`);
  }
  return out;
}
