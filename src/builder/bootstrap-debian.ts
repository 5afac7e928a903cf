/**
 * bootstrapDebian: a Debian base image without a registry, made the way Debian's official images
 * are: debuerreotype's recipe (debuerreotype.ts) on the Debian archive the host uses. The archive
 * is checked first (the suite exists, has the architecture; the host can run that architecture's
 * programs), so bad input fails in a second with a message naming it. The rootfs tarball becomes a
 * one-layer image with `CMD ["bash"]`, `created` at the archive state's epoch (the newest Release
 * date of the suites used) and the target architecture: the same suite, architecture and archive
 * state give the same image, digest included.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Digest } from '../base/index.js';
import { errors, fetchTrusting, isBerthError } from '../base/index.js';
import type { ImageConfig } from '../oci/index.js';
import { parseReference } from '../oci/index.js';
import type { ImageService } from '../services/index.js';
import { archiveKeyring, debuerreotypeRootfs, findTool, recipeTools, runStep } from './debuerreotype.js';
import { DEFAULT_PATH } from './stage-state.js';

export interface BootstrapOptions {
  /** Debian mirror; default: the one the host's apt uses, else deb.debian.org. */
  mirror?: string;
  /** Debian architecture (amd64, arm64, i386...); default: the host's. */
  arch?: string;
  /** Told about the recipe's progress (each step and its output). */
  onOutput?: (chunk: Buffer) => void;
  signal?: AbortSignal;
  /** Where the temporary root goes (default: the OS temp dir); `<root>/build-tmp` makes it recoverable after a SIGKILL. */
  tmpDir?: string;
  /** The owner tag the temporary root's name starts with under tmpDir (base/operation.ts). */
  ownerTag?: string;
}

/** The Debian archives in the host's apt sources (deb822 or one-line format): `.../debian` and `.../debian-security`. */
async function hostMirrors(): Promise<{ main?: string; security?: string }> {
  const texts: string[] = [await readFile('/etc/apt/sources.list', 'utf8').catch(() => '')];
  const dir = '/etc/apt/sources.list.d';
  for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (name.endsWith('.sources') || name.endsWith('.list')) texts.push(await readFile(join(dir, name), 'utf8').catch(() => ''));
  }
  const found: { main?: string; security?: string } = {};
  for (const text of texts) {
    for (const m of text.matchAll(/(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s+)?)(\S+)/gm)) {
      const uri = (m[1] ?? '').replace(/\/$/, '');
      if (found.main === undefined && /\/debian$/.test(uri)) found.main = uri;
      if (found.security === undefined && /\/debian-security$/.test(uri)) found.security = uri;
    }
  }
  return found;
}

interface Release { date: number; codename: string; architectures: string[] }

/** The suite's Release file at `mirror` (InRelease), or undefined when the archive has no such suite. */
async function fetchRelease(mirror: string, suite: string, signal?: AbortSignal): Promise<Release | undefined> {
  const url = `${mirror}/dists/${suite}/InRelease`;
  let response: Response;
  try {
    response = await fetchTrusting(url, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw errors.aborted('BOOTSTRAP_CANCELLED', 'The bootstrap was cancelled');
    throw errors.unavailable('DEBIAN_MIRROR_UNREACHABLE', `Cannot reach the Debian mirror "${mirror}": ${(err as Error).message}`);
  }
  if (response.status === 404 || response.status === 410) return undefined;
  if (!response.ok) throw errors.unavailable('DEBIAN_MIRROR_UNREACHABLE', `Cannot read "${url}" (HTTP ${response.status})`);
  const text = await response.text();
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const t = Date.parse(field('Date') ?? '');
  if (Number.isNaN(t)) throw errors.dataLoss('DEBIAN_RELEASE_DATE', `The Release file of "${suite}" at "${mirror}" has no readable Date`);
  return { date: Math.floor(t / 1000), codename: field('Codename') ?? suite, architectures: (field('Architectures') ?? '').split(/\s+/).filter(Boolean) };
}

/** dpkg's name for the host's architecture. */
function hostDebianArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** The OCI platform of a Debian architecture. */
export function ociPlatform(arch: string): { architecture: string; variant?: string } {
  const map: Record<string, { architecture: string; variant?: string }> = {
    amd64: { architecture: 'amd64' }, arm64: { architecture: 'arm64', variant: 'v8' }, armhf: { architecture: 'arm', variant: 'v7' },
    armel: { architecture: 'arm', variant: 'v5' }, i386: { architecture: '386' }, ppc64el: { architecture: 'ppc64le' },
    s390x: { architecture: 's390x' }, mips64el: { architecture: 'mips64le' }, riscv64: { architecture: 'riscv64' }, loong64: { architecture: 'loong64' },
  };
  return map[arch] ?? { architecture: arch };
}

/** Fails unless this host runs `arch`'s programs (natively, or through binfmt_misc and qemu), as debootstrap must. */
async function checkRunnable(arch: string, name: string, options: BootstrapOptions): Promise<void> {
  const host = hostDebianArch();
  if (arch === host) return;
  const what = `Cannot bootstrap "${name}" for architecture "${arch}"`;
  if ((await findTool('arch-test')) === undefined) {
    throw errors.failedPrecondition('BOOTSTRAP_FOREIGN_ARCH', `${what} on this ${host} host: arch-test, which checks that the host runs ${arch} programs (debootstrap runs the packages' scripts), is not installed`, { hint: 'apt-get install arch-test' });
  }
  try {
    await runStep('arch-test', [arch], { ...(options.signal ? { signal: options.signal } : {}) }, true);
  } catch (err) {
    if (isBerthError(err, 'Aborted')) throw err;
    throw errors.failedPrecondition('BOOTSTRAP_FOREIGN_ARCH', `${what}: this ${host} host cannot run ${arch} programs (arch-test ${arch}: not supported on this machine/kernel), and debootstrap runs the packages' scripts`,
      { hint: 'Emulation needs qemu-user-static registered with binfmt_misc (apt-get install qemu-user-static binfmt-support); without it only the host\'s architecture and those its CPU runs natively (amd64: i386) can be bootstrapped' });
  }
}

/** The recipe's tools and their versions, as the image's history records them. */
async function toolVersions(options: BootstrapOptions): Promise<string> {
  const debuerreotype = (await readFile('/usr/share/debuerreotype/VERSION', 'utf8').catch(() => '')).trim();
  const debootstrap = (await runStep('debootstrap', ['--version'], { ...(options.signal ? { signal: options.signal } : {}) }, true).catch(() => ({ stdout: '' }))).stdout.trim().replace(/^debootstrap\s+/, '');
  return `debuerreotype ${debuerreotype || '?'}, debootstrap ${debootstrap || '?'}`;
}

/** Builds `debian:SUITE[-slim]` by debuerreotype's recipe and stores it under that name. Returns the image id. */
export async function bootstrapDebian(images: ImageService, name: string, options: BootstrapOptions = {}): Promise<{ id: Digest; epoch: number }> {
  const m = /^(?:docker\.io\/)?(?:library\/)?debian:([a-z][a-z0-9]*)(-slim)?$/.exec(name);
  if (!m) throw errors.invalidArgument('BOOTSTRAP_NAME', `Cannot bootstrap "${name}": expected debian:SUITE or debian:SUITE-slim (e.g. debian:bookworm-slim)`);
  const suite = m[1] as string;
  const slim = m[2] !== undefined;
  const arch = options.arch ?? hostDebianArch();
  if (!/^[a-z0-9][a-z0-9-]*$/.test(arch)) throw errors.invalidArgument('BOOTSTRAP_ARCH', `Cannot bootstrap "${name}": "${arch}" is not a Debian architecture name (e.g. amd64, arm64, i386)`);
  if (process.getuid?.() !== 0) throw errors.permissionDenied('BOOTSTRAP_ROOT', `Cannot bootstrap "${name}": debootstrap needs root`);

  const host = await hostMirrors();
  const mirror = (options.mirror ?? host.main ?? 'http://deb.debian.org/debian').replace(/\/$/, '');
  const release = await fetchRelease(mirror, suite, options.signal);
  if (!release) throw errors.notFound('DEBIAN_SUITE_NOT_FOUND', `Cannot find Debian suite "${suite}" at "${mirror}"`, { hint: 'Suites are codenames (bookworm, trixie, sid) or stable, testing, unstable...' });
  if (release.architectures.length > 0 && !release.architectures.includes(arch)) {
    throw errors.invalidArgument('BOOTSTRAP_ARCH', `Cannot bootstrap "${name}": Debian suite "${suite}" has no architecture "${arch}" (it has: ${release.architectures.filter((a) => a !== 'all').join(', ')})`);
  }
  for (const [tool, pkg] of recipeTools) {
    if ((await findTool(tool)) === undefined) throw errors.failedPrecondition('BOOTSTRAP_TOOL_MISSING', `Cannot bootstrap "${name}": ${tool} is not installed`, { hint: `apt-get install ${pkg} (./scripts/setup.sh installs it)` });
  }
  if (!(await readFile(archiveKeyring).then(() => true, () => false))) {
    throw errors.failedPrecondition('BOOTSTRAP_TOOL_MISSING', `Cannot bootstrap "${name}": Debian's archive keyring ${archiveKeyring} is missing`, { hint: 'apt-get install debian-archive-keyring' });
  }
  await checkRunnable(arch, name, options);

  // The suites Debian's images list (debuerreotype-debian-sources-list): SUITE-security and
  // SUITE-updates where the archive has them for this architecture (sid has neither).
  const extraSuites: { suite: string; mirror: string }[] = [];
  if (!['sid', 'unstable'].includes(suite) && release.codename !== 'sid') {
    const securityMirrors = [...new Set([...(mirror.endsWith('/debian') ? [`${mirror}-security`] : []), host.security ?? 'http://deb.debian.org/debian-security'])];
    for (const [extra, candidates] of [[`${suite}-security`, securityMirrors], [`${suite}-updates`, [mirror]]] as const) {
      for (const candidate of candidates) {
        const r = await fetchRelease(candidate, extra, options.signal).catch((err: unknown) => {
          if (isBerthError(err, 'Aborted')) throw err;
          return undefined;
        });
        if (r && (r.architectures.length === 0 || r.architectures.includes(arch))) {
          extraSuites.push({ suite: extra, mirror: candidate });
          break;
        }
      }
    }
  }
  // debuerreotype's order: the main archive's suites first (SUITE, SUITE-updates), then security.
  extraSuites.sort((a, b) => Number(a.mirror !== mirror) - Number(b.mirror !== mirror));

  if (options.tmpDir !== undefined) await mkdir(options.tmpDir, { recursive: true });
  const dir = await mkdtemp(options.tmpDir === undefined ? join(tmpdir(), 'berth-bootstrap-') : join(options.tmpDir, `${options.ownerTag ?? process.pid}-bootstrap-`));
  try {
    const tar = join(dir, 'rootfs.tar');
    const { epoch } = await debuerreotypeRootfs({
      name, arch, suite, codename: release.codename, slim, mirror, extraSuites, rootfs: join(dir, 'rootfs'), tar,
      ...(options.onOutput ? { onOutput: options.onOutput } : {}), ...(options.signal ? { signal: options.signal } : {}),
    });
    const imported = await images.import(createReadStream(tar), name, { source: `debuerreotype ${suite}` });
    const created = new Date(epoch * 1000).toISOString();
    const tools = await toolVersions(options);
    const byMirror = new Map<string, string[]>();
    for (const s of [{ suite, mirror }, ...extraSuites]) byMirror.set(s.mirror, [...(byMirror.get(s.mirror) ?? []), s.suite]);
    const sources = [...byMirror].map(([uri, suites]) => `${uri} ${suites.join(' ')}`).join(', ');
    const { variant: _hostVariant, ...importedConfig } = imported.config;
    const config: ImageConfig = {
      ...importedConfig,
      created,
      ...ociPlatform(arch),
      config: { Env: [DEFAULT_PATH], Cmd: ['bash'] },
      history: [{ created, created_by: `berth image bootstrap --arch ${arch} ${name} (${tools}; ${sources}; epoch ${epoch})` }],
    };
    const image = await images.commit(config, imported.manifest.layers, [parseReference(name).full]);
    // The import's own image (host platform, import time) is only a step: no dangling image stays.
    if (imported.id !== image.id) await images.remove(imported.id).catch(() => undefined);
    return { id: image.id, epoch };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
