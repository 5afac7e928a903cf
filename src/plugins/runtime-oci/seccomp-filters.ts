/**
 * Precompiled seccomp filters for crun. crun turns a spec's JSON seccomp profile into BPF with
 * libseccomp on every create (~2 ms of CPU and ~3 ms of wall time for Docker's default profile on
 * the bench machine; crun's own cache of compiled filters needs a build with libgcrypt's
 * checksums, which Debian's crun 1.8 lacks). crun also takes a filter already compiled, base64 in
 * the annotation `run.oci.seccomp_bpf_data`, and then loads it as it is.
 *
 * berth never compiles a filter itself: it keeps the one crun compiled. After crun created a
 * container whose profile had no filter here yet, crun's own `<state>/<id>/seccomp.bpf` (the
 * bytes crun then loaded) is copied into the cache; the next container with the same profile gets
 * them through the annotation. A filter is keyed by the profile (its JSON), crun's binary,
 * libseccomp's library and the running kernel, the inputs crun's own cache checksums, and by
 * berth's own code (this file: the bundle): a filter kept by another berth (another checkout,
 * a build with a bug) is never trusted. The cache lives beside the store's crun state on /run, so
 * a reboot empties it and one store's filters are not another's. Any doubt means no annotation:
 * crun compiles the profile as it always did.
 */
import { mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { release, version } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { sha256Hex } from '../../sys/index.js';
import type { LinuxSeccomp, Spec } from '../../oci/index.js';
import type { SeccompFilters } from '../../core/runtime/index.js';

/** The annotation with which crun (0.18 and later) takes a compiled filter. */
export const SECCOMP_BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

/** At most this many filters are kept (each is a few KiB; one per distinct profile in use). */
const MAX_FILTERS = 256;


/** The identity of a file: a new package version is a new file (or at least a new mtime and size). */
function fileIdentity(path: string): string {
  try {
    const real = realpathSync.native(path);
    const st = statSync(real);
    return `${real}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}

/** libseccomp's shared library as the dynamic loader finds it on common layouts (Debian's multiarch first). */
function libseccompIdentity(): string {
  const multiarch = process.arch === 'x64' ? 'x86_64-linux-gnu' : process.arch === 'arm64' ? 'aarch64-linux-gnu' : `${process.arch}-linux-gnu`;
  for (const dir of [`/usr/lib/${multiarch}`, `/lib/${multiarch}`, '/usr/lib64', '/lib64', '/usr/lib', '/lib']) {
    const id = fileIdentity(join(dir, 'libseccomp.so.2'));
    if (id) return id;
  }
  return 'libseccomp:unknown';
}

/** Whether crun would compile `seccomp` with options of its own (annotations) or hand it to a listener. */
function precompilable(spec: Spec): spec is Spec & { linux: { seccomp: LinuxSeccomp } } {
  const seccomp = spec.linux?.seccomp;
  if (!seccomp) return false;
  if (seccomp.listenerPath !== undefined || seccomp.defaultAction === 'SCMP_ACT_NOTIFY') return false;
  if (seccomp.syscalls?.some((s) => s.action === 'SCMP_ACT_NOTIFY')) return false;
  // The user's own run.oci.seccomp* annotations (a filter of theirs, fail on unknown syscalls, a receiver) win.
  return !Object.keys(spec.annotations ?? {}).some((k) => k.startsWith('run.oci.seccomp'));
}

export function createSeccompFilters(options: { binary: string; stateDir: string; cacheDir: string }): SeccompFilters {
  let runtimeKey: string | undefined;
  const wanted = new Map<string, string>();
  const keyOf = (seccomp: LinuxSeccomp) => {
    runtimeKey ??= [fileIdentity(options.binary), libseccompIdentity(), release(), version(), process.arch, fileIdentity(fileURLToPath(import.meta.url))].join('\n');
    return sha256Hex(`${runtimeKey}\n${JSON.stringify(seccomp)}`);
  };
  const cached = (key: string): Buffer | undefined => {
    try {
      const bpf = readFileSync(join(options.cacheDir, `${key}.bpf`));
      // A BPF program is a whole number of 8-byte instructions.
      return bpf.length > 0 && bpf.length % 8 === 0 ? bpf : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    annotate(id, spec, { learn = false } = {}) {
      if (!precompilable(spec)) return true;
      const key = keyOf(spec.linux.seccomp);
      const bpf = cached(key);
      if (bpf) {
        spec.annotations = { ...spec.annotations, [SECCOMP_BPF_ANNOTATION]: bpf.toString('base64') };
        return true;
      }
      if (learn) wanted.set(id, key);
      return false;
    },
    wantsFilter: (id) => wanted.has(id),
    learn(id) {
      const key = wanted.get(id);
      if (key === undefined) return;
      wanted.delete(id);
      try {
        const bpf = readFileSync(join(options.stateDir, id, 'seccomp.bpf'));
        if (bpf.length === 0 || bpf.length % 8 !== 0) return;
        mkdirSync(options.cacheDir, { recursive: true, mode: 0o700 });
        if (readdirSync(options.cacheDir).length >= MAX_FILTERS) return;
        const file = join(options.cacheDir, `${key}.bpf`);
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, bpf, { mode: 0o600 });
        try {
          renameSync(tmp, file);
        } catch (err) {
          unlinkSync(tmp);
          throw err;
        }
      } catch {
        // Only an optimisation: crun compiles the profile next time too.
      }
    },
  };
}
