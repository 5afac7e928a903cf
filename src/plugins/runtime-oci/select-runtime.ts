import { accessSync, constants, readFileSync } from 'node:fs';

import { errors } from '../../base/index.js';

const searchPath = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin'];

export function findBinary(name: string, probe?: (path: string, found: boolean) => void): string | undefined {
  if (name.includes('/')) return name;
  for (const dir of [...(process.env['PATH'] ?? '').split(':'), ...searchPath]) {
    if (!dir) continue;
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      probe?.(`${dir}/${name}`, true);
      return `${dir}/${name}`;
    } catch {
      probe?.(`${dir}/${name}`, false);
      continue;
    }
  }
  return undefined;
}

/**
 * Why crun cannot run here, or undefined when it can. crun 1.8 refuses a hybrid cgroup layout
 * where a controller sits on the v2 hierarchy while the others are on v1 ("cgroups in hybrid
 * mode not supported, drop all controllers from cgroupv2"); mounting that controller on v1 fixes it.
 */
const unifiedControllersFile = '/sys/fs/cgroup/unified/cgroup.controllers';

export function crunBlocker(unifiedControllers = unifiedControllersFile): string | undefined {
  let controllers: string;
  try {
    controllers = readFileSync(unifiedControllers, 'utf8').trim();
  } catch {
    return undefined;
  }
  return controllers === '' ? undefined : `this host's hybrid cgroup layout keeps "${controllers}" on cgroup v2, which crun refuses`;
}

/** The runtimes berth knows how to drive, by name (looked up in PATH and the usual directories). */
export const configuredRuntimes: readonly string[] = ['crun', 'runc'];

export interface RuntimeChoice {
  binary: string;
  warning?: string;
}

/** What selectRuntime asks of the host (tests give their own). */
export interface RuntimeHost {
  findBinary: (name: string) => string | undefined;
  crunBlocker: () => string | undefined;
}

const realHost: RuntimeHost = { findBinary, crunBlocker: () => crunBlocker() };

/**
 * Picks the OCI runtime: the one asked for, else crun, else runc. When no runtime was asked for
 * and crun cannot run here, falls back to runc and says why in `warning`; an explicit
 * `--runtime crun` that cannot run is an error, never a silent switch.
 */
export function selectRuntime(requested: string | undefined, host: RuntimeHost = realHost): RuntimeChoice {
  const { findBinary } = host;
  // Only configured runtimes, by name: `--runtime /bin/sh` must not make berth run /bin/sh as root.
  if (requested !== undefined && !configuredRuntimes.includes(requested)) {
    throw errors.invalidArgument('UNKNOWN_RUNTIME', `Unknown or invalid runtime name "${requested}": use one of ${configuredRuntimes.join(', ')}`);
  }
  if (requested !== undefined && requested !== 'crun') {
    const binary = findBinary(requested);
    if (!binary) throw errors.notFound('RUNTIME_NOT_FOUND', `OCI runtime "${requested}" not found in PATH`, { hint: 'Install it with ./scripts/setup.sh' });
    return { binary };
  }
  const crun = findBinary('crun');
  const blocker = crun ? host.crunBlocker() : 'crun is not installed';
  if (crun && !blocker) return { binary: crun };
  if (requested === 'crun') {
    throw errors.failedPrecondition('RUNTIME_UNUSABLE', `Cannot use runtime "crun": ${blocker ?? 'unusable'}`, { hint: 'Run ./scripts/setup.sh to prepare the host for crun, or use --runtime runc' });
  }
  const runc = findBinary('runc');
  if (!runc) {
    throw errors.notFound('RUNTIME_NOT_FOUND', `No usable OCI runtime: ${blocker ?? 'crun unusable'} and runc is not installed`, { hint: 'Run ./scripts/setup.sh' });
  }
  return { binary: runc, warning: `crun cannot run here (${blocker}); using runc. Run ./scripts/setup.sh to prepare the host for crun` };
}

/**
 * The default runtime's name (`selectRuntime(undefined)`) with the facts of the host it follows
 * from, as condition lines of the inspect render cache (services/inspect-cache.ts; checked by
 * native/berth_inspect.c): `path-env PATH`'s value, `exec FILE` / `noexec FILE` (access(2) X_OK of
 * each candidate looked at), `absent FILE` / `blank FILE` (the cgroup controllers crunBlocker
 * reads). Undefined when the choice rests on anything else (a blocker's text, an error, a newline).
 */
export function defaultRuntimeConditions(): { name: string; conditions: string[] } | undefined {
  const path = process.env['PATH'] ?? '';
  if (path.includes('\n')) return undefined;
  const conditions = [`path-env ${path}`];
  let exact = true;
  const host: RuntimeHost = {
    findBinary: (name) => findBinary(name, (file, found) => void conditions.push(`${found ? 'exec' : 'noexec'} ${file}`)),
    crunBlocker: () => {
      let text: string;
      try {
        text = readFileSync(unifiedControllersFile, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') conditions.push(`absent ${unifiedControllersFile}`);
        else exact = false;
        return undefined;
      }
      if (/^[ \t\n\r]*$/.test(text)) {
        conditions.push(`blank ${unifiedControllersFile}`);
        return undefined;
      }
      exact = false;
      return text;
    },
  };
  try {
    const { binary } = selectRuntime(undefined, host);
    return exact && !conditions.some((c) => c.includes('\n')) ? { name: binary.split('/').pop() ?? '', conditions } : undefined;
  } catch {
    return undefined;
  }
}
