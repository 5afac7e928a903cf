/**
 * The recipe of Debian's official container images, run with Debian's own tool: debuerreotype
 * (its scripts, as examples/debian.sh in the debuerreotype repository runs them for
 * docker-debian-artifacts), on a live Debian archive instead of snapshot.debian.org:
 *
 *   debuerreotype-init --non-debian   debootstrap --variant=minbase (merged /usr for bookworm and
 *                                     later), SOURCE_DATE_EPOCH from the suite's Release date
 *   sources (deb822 for APT ≥ 2.3)   SUITE, SUITE-updates, SUITE-security where the archive has them
 *   debuerreotype-minimizing-config   policy-rc.d; dpkg's docker-apt-speedup; APT's docker-clean,
 *                                     docker-gzip-indexes, docker-no-languages, docker-autoremove-suggests
 *   debuerreotype-apt-get update; debuerreotype-recalculate-epoch (the newest Release date: the
 *                                     epoch of this archive state); full-upgrade
 *   debuerreotype-slimify             -slim only: dpkg path-exclude of docs (copyright files stay),
 *                                     man pages, info, locales, lintian overrides (.slimify-excludes)
 *   debuerreotype-tar                 mtimes clamped to the epoch, logs and caches dropped, APT lists
 *                                     and caches emptied, name-sorted, numeric owners; no /etc/machine-id
 *
 * Every step runs in a process group of its own, so cancelling kills the whole step; mounts made
 * by the scripts live in private mount namespaces (`unshare --mount`) and vanish with them.
 */
import { spawn } from 'node:child_process';
import { access, constants, readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

import { errors } from '../base/index.js';

export interface RecipeOptions {
  /** The image being made, for messages. */
  name: string;
  /** Debian architecture (dpkg's name: amd64, arm64, i386...). */
  arch: string;
  suite: string;
  /** The suite's Codename (from its Release file): decides merged /usr. */
  codename: string;
  slim: boolean;
  /** The main archive and, when the suite has one, its security archive. */
  mirror: string;
  /** `SUITE-updates`, `SUITE-security`... that exist, each with its archive. */
  extraSuites: { suite: string; mirror: string }[];
  /** Where the root filesystem is made (must not exist or be empty). */
  rootfs: string;
  /** The tarball to write. */
  tar: string;
  onOutput?: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

/** The tools the recipe needs, with the Debian package each comes from. */
export const recipeTools: [string, string][] = [
  ['debuerreotype-init', 'debuerreotype'], ['debootstrap', 'debootstrap'], ['wget', 'wget'], ['unshare', 'util-linux'],
];

/** Suites released with a split /usr (debuerreotype's examples/debian.sh: --no-merged-usr). */
const splitUsr = new Set(['slink', 'potato', 'woody', 'sarge', 'etch', 'lenny', 'squeeze', 'wheezy', 'jessie', 'stretch', 'buster', 'bullseye']);

export const archiveKeyring = '/usr/share/keyrings/debian-archive-keyring.gpg';

const toolPath = (): string => [process.env.PATH ?? '', '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].filter(Boolean).join(delimiter);

/** The first directory on PATH (plus the sbin directories) with an executable `name`, or undefined. */
export async function findTool(name: string): Promise<string | undefined> {
  for (const dir of toolPath().split(delimiter)) {
    const file = join(dir, name);
    if (await access(file, constants.X_OK).then(() => true, () => false)) return file;
  }
  return undefined;
}

/** The environment of every step, as examples/debian.sh sets it. */
function stepEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: toolPath(), TZ: 'UTC', LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' };
  delete env.SOURCE_DATE_EPOCH; // debuerreotype sets its own, from the rootfs's epoch
  return env;
}

interface StepResult { stdout: string }

/** Runs one step of the recipe; its output goes to onOutput (stdout too unless `capture`). `label` names it in errors. */
export function runStep(cmd: string, args: string[], options: Partial<Pick<RecipeOptions, 'name' | 'onOutput' | 'signal'>>, capture = false, label = cmd): Promise<StepResult> {
  options.onOutput?.(Buffer.from(`+ ${[cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}\n`));
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(errors.aborted('BOOTSTRAP_CANCELLED', 'The bootstrap was cancelled'));
      return;
    }
    const child = spawn(cmd, args, { env: stepEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let tail = '';
    let problems: string[] = [];
    let stdout = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-2000);
      // apt's and debootstrap's error and warning lines, wherever they scrolled to.
      problems = [...problems, ...text.split('\n').filter((l) => /^(E|W): |^error: /.test(l))].slice(-20);
      options.onOutput?.(chunk);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (capture) stdout += chunk.toString('utf8');
      else onData(chunk);
    });
    child.stderr.on('data', onData);
    const abort = () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (err) => {
      options.signal?.removeEventListener('abort', abort);
      reject(err);
    });
    child.on('close', (code, sig) => {
      options.signal?.removeEventListener('abort', abort);
      if (options.signal?.aborted) reject(errors.aborted('BOOTSTRAP_CANCELLED', 'The bootstrap was cancelled'));
      else if (code === 0) resolve({ stdout });
      else reject(errors.unknown('BOOTSTRAP_STEP_FAILED', `Cannot bootstrap${options.name !== undefined ? ` "${options.name}"` : ''}: ${label} failed (${code !== null ? `exit code ${code}` : `signal ${sig ?? '?'}`}):\n${[...new Set([...problems.filter((l) => !tail.includes(l)), tail.trimEnd()])].join('\n')}`));
    });
  });
}

/** `dpkg --compare-versions a op b` on the host. */
async function versionAtLeast(version: string, min: string): Promise<boolean> {
  try {
    await runStep('dpkg', ['--compare-versions', version, 'ge', min], {}, true);
    return true;
  } catch {
    return false;
  }
}

/** What debuerreotype-debian-sources-list writes for these suites, pointing at our archives (no snapshot comment). */
export function sourcesList(main: { suite: string; mirror: string }, extra: { suite: string; mirror: string }[], deb822: boolean, signedBy: string | undefined): string {
  const all = [main, ...extra];
  if (!deb822) return all.map((s) => `deb ${s.mirror} ${s.suite} main\n`).join('');
  const byMirror = new Map<string, string[]>();
  for (const s of all) byMirror.set(s.mirror, [...(byMirror.get(s.mirror) ?? []), s.suite]);
  return [...byMirror].map(([mirror, suites]) => [
    'Types: deb', `URIs: ${mirror}`, `Suites: ${suites.join(' ')}`, 'Components: main', ...(signedBy !== undefined ? [`Signed-By: ${signedBy}`] : []),
  ].join('\n') + '\n').join('\n');
}

/** Runs the recipe: `options.tar` holds the root filesystem; returns its epoch (seconds). */
export async function debuerreotypeRootfs(options: RecipeOptions): Promise<{ epoch: number }> {
  const { rootfs } = options;
  const chroot = (args: string[]) => runStep('debuerreotype-chroot', [rootfs, ...args], options, true, `debuerreotype-chroot ${args[0] ?? ''}`);
  const aptGet = (args: string[]) => runStep('debuerreotype-apt-get', [rootfs, ...args], options, false, `debuerreotype-apt-get ${args[0] ?? ''} (apt-get in the new root)`);

  await runStep('debuerreotype-init', [
    '--non-debian', '--arch', options.arch, splitUsr.has(options.codename) ? '--no-merged-usr' : '--merged-usr',
    '--keyring', archiveKeyring, rootfs, options.suite, options.mirror,
  ], options);

  // The sources Debian's images ship (examples/debian.sh: deb822 from APT 2.3 on), on our archive.
  const aptVersion = (await chroot(['dpkg-query', '--show', '--showformat', '${Version}', 'apt'])).stdout.trim();
  const deb822 = await versionAtLeast(aptVersion, '2.3~');
  const signedBy = await access(join(rootfs, archiveKeyring)).then(() => archiveKeyring, () => undefined);
  const list = sourcesList({ suite: options.suite, mirror: options.mirror }, options.extraSuites, deb822, signedBy);
  const lineFile = join(rootfs, 'etc/apt/sources.list');
  const deb822File = join(rootfs, 'etc/apt/sources.list.d/debian.sources');
  await rm(deb822 ? lineFile : deb822File, { force: true });
  await writeFile(deb822 ? deb822File : lineFile, list, { mode: 0o644 });

  await runStep('debuerreotype-minimizing-config', [rootfs], options);
  await aptGet(['update', '-qq']);
  await runStep('debuerreotype-recalculate-epoch', [rootfs], options);
  await aptGet([(await versionAtLeast(aptVersion, '1.1~')) ? 'full-upgrade' : 'dist-upgrade', '-yqq']);
  if (options.slim) await runStep('debuerreotype-slimify', [rootfs], options);

  const tarArgs = ['--exclude', './etc/machine-id'];
  // Only with usr-is-merged excluded (not our case on a live archive) may this flag file go.
  const flag = await access(join(rootfs, 'etc/unsupported-skip-usrmerge-conversion')).then(() => true, () => false);
  const usrIsMerged = await access(join(rootfs, 'usr/share/doc/usr-is-merged/copyright')).then(() => true, () => false);
  if (flag && !usrIsMerged) tarArgs.push('--exclude', './etc/unsupported-skip-usrmerge-conversion');
  await runStep('debuerreotype-tar', [...tarArgs, rootfs, options.tar], options);

  const epoch = Number((await readFile(join(rootfs, 'debuerreotype-epoch'), 'utf8')).trim());
  if (!Number.isSafeInteger(epoch)) throw errors.dataLoss('DEBIAN_RELEASE_DATE', 'The bootstrap left no readable epoch (debuerreotype-epoch)');
  return { epoch };
}
