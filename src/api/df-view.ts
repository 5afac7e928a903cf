/** `system df` in Docker's layout: the summary rows (`--format` sees them) and `-v`'s per-object tables. */
import { shortId } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import type { DiskUsage, ImageSummary } from './engine.js';
import { ago, humanSize } from './human.js';
import { containerListRow, imageListRows } from './list-views.js';
import { tabwrite } from './tab-writer.js';

export interface DfRow {
  Type: string;
  TotalCount: string;
  Active: string;
  Size: string;
  Reclaimable: string;
}

/** go-units HumanSize (4 significant digits), as docker system df prints sizes. */
const size = (n: number) => humanSize(n, 4);
const withPercent = (part: number, whole: number) => (whole > 0 ? `${size(part)} (${Math.trunc((part * 100) / whole)}%)` : size(part));

export function dfRows(usage: DiskUsage): DfRow[] {
  const activeIds = new Set(usage.containers.filter((c) => c.status === 'running' || c.status === 'paused').map((c) => c.id));
  const containerSize = usage.containers.reduce((t, c) => t + c.size, 0);
  const containerReclaimable = usage.containers.filter((c) => !activeIds.has(c.id)).reduce((t, c) => t + c.size, 0);
  const volumeSize = usage.volumes.reduce((t, v) => t + v.size, 0);
  const volumeReclaimable = usage.volumes.filter((v) => v.links === 0).reduce((t, v) => t + v.size, 0);
  return [
    { Type: 'Images', TotalCount: String(usage.images.length), Active: String(usage.images.filter((i) => i.containers > 0).length), Size: size(usage.imagesTotal), Reclaimable: withPercent(usage.imagesReclaimable, usage.imagesTotal) },
    { Type: 'Containers', TotalCount: String(usage.containers.length), Active: String(activeIds.size), Size: size(containerSize), Reclaimable: withPercent(containerReclaimable, containerSize) },
    { Type: 'Local Volumes', TotalCount: String(usage.volumes.length), Active: String(usage.volumes.filter((v) => v.links > 0).length), Size: size(volumeSize), Reclaimable: withPercent(volumeReclaimable, volumeSize) },
    { Type: 'Build Cache', TotalCount: String(usage.buildCache.count), Active: String(usage.buildCache.records.filter((r) => r.inUse).length), Size: size(usage.buildCache.size), Reclaimable: size(usage.buildCache.reclaimable) },
  ];
}

/** `system df -v`: Docker's four sections. */
export function dfVerbose(usage: DiskUsage, summaries: readonly ImageSummary[], containers: readonly ContainerRecord[], now = Date.now()): string {
  const imageLines = ['REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS'];
  for (const image of usage.images) {
    const summary = summaries.find((s) => s.id === image.id) ?? { id: image.id as ImageSummary['id'], names: [], created: image.created, size: image.size };
    for (const row of imageListRows({ ...summary, size: image.size }, { trunc: true, now })) {
      imageLines.push([row.Repository, row.Tag, row.ID, row.CreatedSince, humanSize(image.size), size(image.sharedSize), size(image.size - image.sharedSize), String(image.containers)].join('\t'));
    }
  }
  const containerLines = ['CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES'];
  for (const c of usage.containers) {
    const record = containers.find((r) => r.id === c.id);
    if (!record) continue;
    const row = containerListRow(record, { trunc: true, now });
    containerLines.push([shortId(c.id), row.Image, row.Command, String(c.volumes), humanSize(c.size), row.RunningFor, row.Status, row.Names].join('\t'));
  }
  const volumeLines = ['VOLUME NAME\tLINKS\tSIZE', ...usage.volumes.map((v) => `${v.name}\t${v.links}\t${humanSize(v.size)}`)];
  // As the docker CLI lists BuildKit's records: the id cut to 12 characters (`*` when in use), sizes with 3 digits.
  const cacheLines = ['CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED', ...usage.buildCache.records.map((r) => [
    `${r.id.slice(0, 12)}${r.inUse ? '*' : ''}`, r.type, humanSize(r.size), ago(r.created, now), ago(r.lastUsed, now), String(r.usage), String(r.shared),
  ].join('\t'))];
  return `Images space usage:\n\n${tabwrite(`${imageLines.join('\n')}\n`)}`
    + `\nContainers space usage:\n\n${tabwrite(`${containerLines.join('\n')}\n`)}`
    + `\nLocal Volumes space usage:\n\n${tabwrite(`${volumeLines.join('\n')}\n`)}`
    + `\nBuild cache usage: ${size(usage.buildCache.size)}\n\n${tabwrite(`${cacheLines.join('\n')}\n`)}`;
}
