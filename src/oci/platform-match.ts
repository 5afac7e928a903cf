/**
 * Choosing a platform's manifest from an index, with containerd's rules (its `platforms`
 * package): platforms are compared in a normal form, and a host also runs the older variants of
 * its architecture (arm/v7 runs arm/v6, arm64 runs arm/v8…v5, amd64 runs 386), preferring the
 * closest. Pure: the caller fetches the index and, for a nested index, calls again.
 */
import type { Descriptor, ImageIndex, Platform } from './image-spec.js';
import { hostPlatform, isIndexMediaType, isManifestMediaType } from './image-spec.js';

/**
 * A platform in containerd's normal form: lower case; x86_64 and x86-64 → amd64 (v1 is plain
 * amd64), aarch64 → arm64 (v8 is plain arm64), i386 → 386, armhf → arm/v7, armel → arm/v6, and
 * arm without a variant → arm/v7.
 */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  let arch = platform.architecture.toLowerCase();
  let variant = (platform.variant ?? '').toLowerCase();
  switch (arch) {
    case 'i386':
      arch = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      arch = 'amd64';
      if (variant === 'v1') variant = '';
      break;
    case 'aarch64':
    case 'arm64':
      arch = 'arm64';
      if (variant === '8' || variant === 'v8') variant = '';
      break;
    case 'armhf':
      arch = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      arch = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (variant === '5' || variant === '6' || variant === '8') variant = `v${variant}`;
      break;
  }
  return { architecture: arch, os, ...(variant === '' ? {} : { variant }) };
}

/** `os/arch[/variant]`, as Docker prints and parses platforms. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}

/** The platforms a host of `platform` runs, best first, normalised (containerd's platforms.Only). */
export function compatiblePlatforms(platform: Platform): Platform[] {
  const p = normalizePlatform(platform);
  const out = [p];
  const version = Number(/^v(\d+)$/.exec(p.variant ?? '')?.[1] ?? NaN);
  if (p.architecture === 'amd64') {
    for (let v = version - 1; v >= 1; v--) out.push(normalizePlatform({ ...p, variant: `v${v}` }));
    out.push({ os: p.os, architecture: '386' });
  } else if (p.architecture === 'arm') {
    for (let v = version - 1; v >= 5; v--) out.push({ ...p, variant: `v${v}` });
  } else if (p.architecture === 'arm64') {
    out.push(...compatiblePlatforms({ os: p.os, architecture: 'arm', variant: p.variant ?? 'v8' }));
  }
  return out;
}

/**
 * The entry of `index` to use on `platform` (default: the host's): among manifests (and nested
 * indexes) whose platform the host runs, the closest one, the first listed on a tie; entries
 * with no platform come last, as containerd ranks them. Undefined when none fits: attestation
 * manifests (platform unknown/unknown) and other artifacts never do.
 */
export function selectManifest(index: ImageIndex, platform: Platform = hostPlatform()): Descriptor | undefined {
  const wanted = compatiblePlatforms(platform);
  let best: { desc: Descriptor; rank: number } | undefined;
  for (const desc of index.manifests) {
    if (!isManifestMediaType(desc.mediaType) && !isIndexMediaType(desc.mediaType)) continue;
    let rank = wanted.length;
    if (desc.platform) {
      const p = normalizePlatform(desc.platform);
      rank = wanted.findIndex((w) => w.os === p.os && w.architecture === p.architecture && (w.variant ?? '') === (p.variant ?? ''));
      if (rank < 0) continue;
    }
    if (best === undefined || rank < best.rank) best = { desc, rank };
  }
  return best?.desc;
}
