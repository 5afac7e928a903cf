/**
 * The files a container process sees from the engine rather than from its image: the user
 * database it is resolved against, and /etc/hosts, /etc/hostname and /etc/resolv.conf, which
 * are written beside the bundle and bind-mounted (so they never reach a layer), as Docker does.
 * Shared by `berth run` and the builder's RUN steps.
 *
 * Synchronous on purpose: these are a few small files on the run path, where each call costs
 * microseconds and a round trip through libuv's thread pool costs far more.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode, secureJoin } from '../base/index.js';
import type { NetworkMode } from '../core/network/index.js';
import { sharesHostNetwork } from '../core/network/index.js';
import type { Mount as OciMount } from '../oci/index.js';

/** The file's text, or undefined when it (or a directory on its way) does not exist. */
function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errnoCode(err) ?? '')) return undefined;
    throw err;
  }
}

/** The image's /etc/passwd and /etc/group, read inside `rootfs` (symlinks cannot leave it). */
export function readUserDatabase(rootfs: string): { passwd?: string; group?: string } {
  const passwd = readOptional(secureJoin(rootfs, '/etc/passwd'));
  const group = readOptional(secureJoin(rootfs, '/etc/group'));
  return { ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) };
}

export interface HostFilesOptions {
  hostname: string;
  /** With the host's network the container sees the host's /etc/hosts. */
  network: NetworkMode;
  readonly: boolean;
  /** A container on networks: its own addresses for /etc/hosts, and its resolv.conf. */
  fromNetwork?: HostFilesNetwork;
  /** `ADDRESS\tNAME` lines added at the end of /etc/hosts whatever the network (`build --add-host`). */
  extraHosts?: readonly string[];
}

/** What a container's networks put into its hosts files. */
export interface HostFilesNetwork {
  /** `ADDRESS\tNAMES` lines after localhost (the container's own addresses, `--add-host`). */
  hosts: string[];
  /** The whole resolv.conf. */
  resolvConf: string;
}

/** The bind mounts of the hosts, hostname and resolv.conf in `dir` (this process's, or another container's shared as they are). */
export function hostFileMounts(dir: string, readonly: boolean): OciMount[] {
  return ['hosts', 'hostname', 'resolv.conf'].map((file) => ({ destination: `/etc/${file}`, type: 'bind', source: join(dir, file), options: ['rbind', 'rprivate', readonly ? 'ro' : 'rw'] }));
}

/** Writes hosts, hostname and resolv.conf into `dir` and returns the bind mounts that show them. */
export function writeHostFiles(dir: string, options: HostFilesOptions): OciMount[] {
  const name = options.hostname;
  const own = options.fromNetwork;
  const hosts = sharesHostNetwork(options.network)
    ? `${readOptional('/etc/hosts') ?? '127.0.0.1\tlocalhost\n'}${(own?.hosts ?? []).map((l) => `${l}\n`).join('')}`
    : own !== undefined
      ? `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own.hosts.map((l) => `${l}\n`).join('')}`
      : `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${name}\n`;
  const extra = (options.extraHosts ?? []).map((l) => `${l}\n`).join('');
  const resolv = own?.resolvConf ?? readOptional('/etc/resolv.conf') ?? '';
  const files: [string, string][] = [['hosts', hosts + extra], ['hostname', `${name}\n`], ['resolv.conf', resolv]];
  for (const [file, text] of files) writeFileSync(join(dir, file), text);
  return hostFileMounts(dir, options.readonly);
}
