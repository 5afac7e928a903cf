import { errors } from '../../base/index.js';

/** Docker's default capability set (moby oci.DefaultCapabilities), in Docker's order. */
export const defaultCapabilities: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

/** Every capability Linux knows, indexed by its number (linux/capability.h, up to 6.x). */
export const allCapabilities: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
]);

const known = new Set(allCapabilities);

/** `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` all name CAP_NET_ADMIN; `all` stays `ALL`. */
function normalize(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!known.has(full)) throw errors.invalidArgument('UNKNOWN_CAPABILITY', `Unknown capability "${name}"`);
  return full;
}

export interface CapabilityOptions {
  add?: readonly string[] | undefined;
  drop?: readonly string[] | undefined;
  privileged?: boolean | undefined;
  /**
   * Capabilities the host can grant (its bounding set). `ALL` and privileged mean "all of these";
   * defaults to every capability Linux knows. Needed where the host itself lacks some.
   */
  available?: readonly string[] | undefined;
}

/**
 * The container's capability set with Docker's `--cap-add`/`--cap-drop` rules: start from the
 * default 14 (or all, when privileged), drop `ALL` clears first, then adds apply, then the
 * remaining drops. Names are accepted with or without `CAP_`, in any case.
 * Privileged and `--cap-add ALL` get what the host's bounding set (`available`) holds, as Docker does.
 * Throws invalidArgument `BERTH_E_UNKNOWN_CAPABILITY` for a name Linux does not know and
 * `BERTH_E_CAPABILITY_UNAVAILABLE` for an add the bounding set lacks.
 */
export function resolveCapabilities(opts: CapabilityOptions): string[] {
  const available = opts.available ? opts.available.map(normalize).filter((c) => c !== 'ALL') : allCapabilities;
  const add = (opts.add ?? []).map(normalize);
  const drop = (opts.drop ?? []).map(normalize);
  // Docker refuses a capability the host cannot grant (runtimes fail with "capset: Operation not
  // permitted" otherwise). A drop of one is harmless and accepted, where Docker refuses it too.
  for (const cap of add) {
    if (cap !== 'ALL' && !available.includes(cap)) {
      throw errors.invalidArgument('CAPABILITY_UNAVAILABLE', `Cannot add capability "${cap}": this host's capability bounding set lacks it`);
    }
  }
  if (opts.privileged) return [...available];
  const set = new Set<string>(drop.includes('ALL') ? [] : defaultCapabilities);
  for (const cap of add) {
    if (cap === 'ALL') available.forEach((c) => set.add(c));
    else set.add(cap);
  }
  // Docker: an explicit add wins over a drop of ALL; a drop of one name removes it.
  for (const cap of drop) if (cap !== 'ALL' && !add.includes(cap)) set.delete(cap);
  // Docker's order: the defaults first, then the rest by capability number.
  const order = [...defaultCapabilities, ...allCapabilities.filter((c) => !defaultCapabilities.includes(c))];
  return order.filter((c) => set.has(c) && available.includes(c));
}

/**
 * The capability names in a `CapBnd:` mask of /proc/PID/status (hex, bit N = capability N).
 * Bits beyond the capabilities berth knows are ignored.
 */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return allCapabilities.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}
