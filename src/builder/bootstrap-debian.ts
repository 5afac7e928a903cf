/**
 * bootstrapDebian: a Debian base image without a registry. mmdebstrap builds a minbase root
 * filesystem from Debian's archive (the mirror the host uses), as a tar, reproducibly
 * (SOURCE_DATE_EPOCH from the suite's Release date); the tar is imported as a one-layer image
 * with `CMD ["bash"]` and `created` set to that date, so the same suite on the same archive day
 * gives the same image.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Digest } from '../base/index.js';
import { errnoCode, errors } from '../base/index.js';
import type { ImageConfig } from '../oci/index.js';
import { parseReference } from '../oci/index.js';
import type { ImageService } from '../services/index.js';
import { DEFAULT_PATH } from './stage-state.js';

export interface BootstrapOptions {
  /** Debian mirror; default: the one the host's apt uses, else deb.debian.org. */
  mirror?: string;
  /** Told about mmdebstrap's progress (its stderr). */
  onOutput?: (chunk: Buffer) => void;
  signal?: AbortSignal;
  /** Where the temporary root goes (default: the OS temp dir); `<root>/build-tmp` makes it recoverable after a SIGKILL. */
  tmpDir?: string;
  /** The owner tag the temporary root's name starts with under tmpDir (base/operation.ts). */
  ownerTag?: string;
}

const slimExcludes = [
  '/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/groff/*', '/usr/share/linda/*',
  '/usr/share/lintian/*', '/usr/share/locale/*',
];

/** The Debian mirror in the host's apt sources (deb822 or one-line format). */
export async function hostDebianMirror(): Promise<string> {
  const texts: string[] = [];
  for (const file of ['/etc/apt/sources.list']) texts.push(await readFile(file, 'utf8').catch(() => ''));
  const dir = '/etc/apt/sources.list.d';
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.endsWith('.sources') || name.endsWith('.list')) texts.push(await readFile(join(dir, name), 'utf8').catch(() => ''));
  }
  for (const text of texts) {
    for (const m of text.matchAll(/(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(\S+)/gm)) {
      const uri = m[1] ?? '';
      if (/\/debian\/?$/.test(uri)) return uri.replace(/\/$/, '');
    }
  }
  return 'http://deb.debian.org/debian';
}

/** The suite's Release `Date:` as seconds since the epoch. */
async function releaseEpoch(mirror: string, suite: string): Promise<number> {
  const url = `${mirror}/dists/${suite}/InRelease`;
  let text: string;
  try {
    const response = await fetch(url);
    if (!response.ok) throw errors.notFound('DEBIAN_SUITE_NOT_FOUND', `Cannot find Debian suite "${suite}" at "${mirror}" (HTTP ${response.status})`);
    text = await response.text();
  } catch (err) {
    if (err instanceof Error && 'kind' in err) throw err;
    throw errors.unavailable('DEBIAN_MIRROR_UNREACHABLE', `Cannot reach the Debian mirror "${mirror}": ${(err as Error).message}`);
  }
  const date = /^Date:\s*(.+)$/m.exec(text)?.[1];
  const t = date === undefined ? Number.NaN : Date.parse(date);
  if (Number.isNaN(t)) throw errors.dataLoss('DEBIAN_RELEASE_DATE', `The Release file of "${suite}" has no readable Date`);
  return Math.floor(t / 1000);
}

function runMmdebstrap(args: string[], env: NodeJS.ProcessEnv, options: BootstrapOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mmdebstrap', args, { env, stdio: ['ignore', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    let tail = '';
    const onData = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-2000);
      options.onOutput?.(chunk);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => {
      if (errnoCode(err) === 'ENOENT') reject(errors.failedPrecondition('MMDEBSTRAP_MISSING', 'Cannot bootstrap: mmdebstrap is not installed (apt-get install mmdebstrap)'));
      else reject(err);
    });
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(errors.unknown('MMDEBSTRAP_FAILED', `mmdebstrap failed with exit code ${code ?? 'null'}:\n${tail}`));
    });
  });
}

/** Builds `debian:SUITE[-slim]` with mmdebstrap and stores it under that name. Returns the image id. */
export async function bootstrapDebian(images: ImageService, name: string, options: BootstrapOptions = {}): Promise<{ id: Digest; epoch: number }> {
  const m = /^(?:docker\.io\/)?(?:library\/)?debian:([a-z]+)(-slim)?$/.exec(name);
  if (!m) throw errors.invalidArgument('BOOTSTRAP_NAME', `Cannot bootstrap "${name}": expected debian:SUITE or debian:SUITE-slim (e.g. debian:bookworm-slim)`);
  const suite = m[1] as string;
  const slim = m[2] !== undefined;
  const mirror = options.mirror ?? (await hostDebianMirror());
  const epoch = await releaseEpoch(mirror, suite);
  if (options.tmpDir !== undefined) await mkdir(options.tmpDir, { recursive: true });
  const dir = await mkdtemp(options.tmpDir === undefined ? join(tmpdir(), 'berth-bootstrap-') : join(options.tmpDir, `${options.ownerTag ?? process.pid}-bootstrap-`));
  try {
    const tar = join(dir, 'rootfs.tar');
    const args = ['--variant=minbase', '--format=tar', '--mode=root', '--skip=output/dev', '--include=ca-certificates', '--aptopt=Acquire::Languages "none"'];
    if (slim) for (const p of slimExcludes) args.push(`--dpkgopt=path-exclude=${p}`);
    if (slim) args.push('--dpkgopt=path-include=/usr/share/doc/*/copyright');
    args.push(suite, tar, `deb ${mirror} ${suite} main`);
    await runMmdebstrap(args, { ...process.env, SOURCE_DATE_EPOCH: String(epoch) }, options);
    const imported = await images.import(createReadStream(tar), name, { source: `mmdebstrap ${suite}` });
    const created = new Date(epoch * 1000).toISOString();
    const config: ImageConfig = {
      ...imported.config,
      created,
      config: { Env: [DEFAULT_PATH], Cmd: ['bash'] },
      history: [{ created, created_by: `berth image bootstrap ${name} (mmdebstrap --variant=minbase ${suite} ${mirror})` }],
    };
    const image = await images.commit(config, imported.manifest.layers, [parseReference(name).full]);
    return { id: image.id, epoch };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
