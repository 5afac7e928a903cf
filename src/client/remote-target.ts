/**
 * Where a remote engine connects: `unix:///path/to.sock`, or `tcp://host:port` with TLS client
 * certificates (a berth daemon listens on TCP only with `--tlsverify`). The certificates come from
 * the global flags (`--tlscacert --tlscert --tlskey`), else from a directory as the docker CLI's
 * DOCKER_CERT_PATH: `$BERTH_CERT_PATH` (default `~/.berth`) holding ca.pem, cert.pem and key.pem.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { errors } from '../base/index.js';

/** What the CLI was given: `--host`/BERTH_HOST and the TLS flags (their env forms are read here). */
export interface RemoteOptions {
  host: string;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  /** The environment to read BERTH_TLS_VERIFY and BERTH_CERT_PATH from (default process.env). */
  env?: Record<string, string | undefined>;
}

export type RemoteEndpoint =
  | { kind: 'unix'; path: string; display: string }
  | { kind: 'tcp'; hostname: string; port: number; display: string; tls: { ca: Buffer; cert: Buffer; key: Buffer } };

export const defaultDaemonSocket = 'unix:///run/berth/berth.sock';

/** Parses the host and reads the TLS files; every mistake is an InvalidArgument naming it. */
export function resolveEndpoint(options: RemoteOptions): RemoteEndpoint {
  const env = options.env ?? process.env;
  const host = options.host.trim();
  const fileFlags = [options.tlscacert, options.tlscert, options.tlskey];
  const tls = options.tlsverify === true || nonEmpty(env['BERTH_TLS_VERIFY']) || fileFlags.some((f) => f !== undefined);
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/')) throw errors.invalidArgument('INVALID_HOST', `Invalid --host "${options.host}": a unix socket is named by an absolute path (unix:///run/berth/berth.sock)`);
    if (options.tlsverify === true || fileFlags.some((f) => f !== undefined)) {
      throw errors.invalidArgument('TLS_ON_UNIX', `--tlsverify and --tls* apply to tcp:// hosts, not to the unix socket "${path}"`);
    }
    return { kind: 'unix', path, display: host };
  }
  if (host.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})\/?$/.exec(host);
    const port = Number(m?.[2]);
    if (!m || !(port > 0 && port < 65536)) throw errors.invalidArgument('INVALID_HOST', `Invalid --host "${options.host}": use tcp://HOST:PORT`);
    if (!tls) {
      throw errors.invalidArgument('TLS_REQUIRED', `--host ${host} needs TLS: give --tlsverify with --tlscacert, --tlscert and --tlskey, or set BERTH_TLS_VERIFY=1 with the files in $BERTH_CERT_PATH (ca.pem, cert.pem, key.pem)`);
    }
    const dir = nonEmpty(env['BERTH_CERT_PATH']) ? (env['BERTH_CERT_PATH'] as string) : join(homedir(), '.berth');
    const read = (flag: string, given: string | undefined, file: string) => {
      const path = given ?? join(dir, file);
      if (!existsSync(path)) throw errors.notFound('TLS_FILE_NOT_FOUND', `TLS file "${path}" (--${flag}) not found`);
      return readFileSync(path);
    };
    const hostname = (m[1] as string).replace(/^\[|\]$/g, '');
    return {
      kind: 'tcp', hostname, port, display: host,
      tls: { ca: read('tlscacert', options.tlscacert, 'ca.pem'), cert: read('tlscert', options.tlscert, 'cert.pem'), key: read('tlskey', options.tlskey, 'key.pem') },
    };
  }
  throw errors.invalidArgument('INVALID_HOST', `Invalid --host "${options.host}": use unix:///PATH or tcp://HOST:PORT`);
}

function nonEmpty(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
