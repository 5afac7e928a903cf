/**
 * `build --check-reproducible`: runs the engine's check (two clean builds, compared layer by
 * layer), prints the verdict and, when the builds differ, each differing layer with its step and
 * files, then collects what the check made (the images it built are named by nothing).
 * Exit status: 0 reproducible, 2 not reproducible; a build that fails is an error (1).
 */
import type { Writable } from 'node:stream';

import type { Operation } from '../../base/index.js';
import type { BuildRequest, Engine, LayerDifference, ReproducibilityFile, ReproducibilityReport, TreeChange } from '../../api/index.js';
import { humanSize } from '../../api/index.js';
import { isoTime } from './image-diff.js';

/** Exit status of a check whose builds differ. */
export const NOT_REPRODUCIBLE = 2;

/** Files listed per layer before the rest is counted. */
const FILES_PER_LAYER = 50;

export async function checkReproducibleBuild(engine: Engine, request: BuildRequest, op: Operation, out: { stdout: Writable; stderr: Writable; quiet: boolean; finish: () => void }): Promise<number> {
  let report: ReproducibilityReport;
  try {
    report = await engine.images.checkReproducible(request, op);
  } finally {
    out.finish(); // the progress display ends before anything else is written
    // What the check built is named by nothing: collect it now, as rmi does (skipped while another berth process holds a lease).
    const gc = await engine.system.gc().catch(() => undefined);
    if (gc?.skipped !== undefined && !out.quiet) out.stderr.write(`berth: the layers the check built are left for the next collection (berth system prune): ${gc.skipped}\n`);
  }
  out.stdout.write(renderReport(report));
  return report.reproducible ? 0 : NOT_REPRODUCIBLE;
}

function sizes(change: TreeChange): string {
  const size = (n: TreeChange['a']) => (n === undefined ? '-' : n.type === 'directory' ? 'directory' : humanSize(n.size));
  if (change.kind === 'added') return `only in build 2 (${size(change.b)})`;
  if (change.kind === 'removed') return `only in build 1 (${size(change.a)})`;
  const detail: string[] = [];
  if (change.aspects.includes('type')) detail.push(`${change.a?.type ?? ''} / ${change.b?.type ?? ''}`);
  if (change.aspects.includes('content')) detail.push(`${size(change.a)} / ${size(change.b)}`);
  if (change.aspects.includes('mode')) detail.push(`mode ${(change.a?.mode ?? 0).toString(8).padStart(4, '0')} / ${(change.b?.mode ?? 0).toString(8).padStart(4, '0')}`);
  if (change.aspects.includes('owner')) detail.push(`owner ${change.a?.uid ?? ''}:${change.a?.gid ?? ''} / ${change.b?.uid ?? ''}:${change.b?.gid ?? ''}`);
  if (change.aspects.includes('mtime')) detail.push(`mtime ${isoTime(change.a?.mtime)} / ${isoTime(change.b?.mtime)}`);
  if (change.aspects.includes('link target')) detail.push(`-> ${change.a?.linkname ?? ''} / -> ${change.b?.linkname ?? ''}`);
  return `${change.aspects.join(', ')}${detail.length > 0 ? ` (${detail.join('; ')})` : ''}`;
}

function renderLayer(d: LayerDifference, layers: number): string {
  const lines = [`layer ${d.index}/${layers}: ${d.step}${d.location !== undefined ? ` (${d.location})` : ''}`];
  if (d.digests[0] === null || d.digests[1] === null) lines.push(`  the step made a layer in build ${d.digests[0] === null ? 2 : 1} only`);
  if (d.note !== undefined) lines.push(`  note: ${d.note}`);
  const shown = d.files.slice(0, FILES_PER_LAYER);
  const width = Math.min(60, Math.max(0, ...shown.map((f) => f.path.length)));
  for (const f of shown) {
    lines.push(`  ${f.path.padEnd(width)}  ${sizes(f)}`);
    for (const l of f.lines ?? []) lines.push(`      ${l}`);
  }
  if (d.files.length > shown.length) lines.push(`  ... and ${d.files.length - shown.length} more files`);
  if (d.files.length === 0) lines.push('  the same files; the layers differ in the order or encoding of their entries');
  const hints = new Map<string, ReproducibilityFile[]>();
  for (const f of d.files) if (f.hint !== undefined) hints.set(f.hint, [...(hints.get(f.hint) ?? []), f]);
  for (const [hint, files] of hints) {
    const named = files.slice(0, 3).map((f) => f.path).join(', ');
    lines.push(`  hint (${named}${files.length > 3 ? ` and ${files.length - 3} more` : ''}): ${hint}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderReport(r: ReproducibilityReport): string {
  const epoch = `SOURCE_DATE_EPOCH=${r.sourceDateEpoch}`;
  if (r.reproducible) {
    return `reproducible: two clean builds gave the same image (${epoch}, ${r.layers} layers)\n  manifest ${r.builds[0].manifestDigest}\n  image id ${r.builds[0].id}\n`;
  }
  const parts = [
    `not reproducible: two clean builds differ (${epoch}): ${r.differences.length} of ${r.layers} layers${r.configFields.length > 0 ? `, image config fields ${r.configFields.join(', ')}` : ''}\n`
    + `  build 1: manifest ${r.builds[0].manifestDigest}, image id ${r.builds[0].id}\n`
    + `  build 2: manifest ${r.builds[1].manifestDigest}, image id ${r.builds[1].id}\n`,
    ...r.differences.map((d) => renderLayer(d, r.layers)),
  ];
  return parts.join('\n');
}
