/**
 * The rows `docker ps` and `docker images` format: the fields of the docker CLI's ContainerContext
 * and imageContext, by the names `--format` templates use (`{{.Names}}`, `{{.Label "k"}}`).
 */
import { shortId } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { processArgs } from '../core/containers/index.js';
import { containerMountsView, containerStatusText } from './container-view.js';
import { containerNetworkSettingsView } from './network-view.js';
import { formatPortsColumn } from '../core/network/index.js';
import type { ImageSummary } from './engine.js';
import { ago, humanSize } from './human.js';
import { familiarRepository, parseReference } from '../oci/index.js';
import { goMap } from './go-map.js';

/** Docker's CreatedAt: `2026-11-29 21:00:00 +0000 UTC`. */
export function dockerDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

/** A `docker ps` row. `trunc` shortens the id and the command as the CLI does without --no-trunc. */
export function containerListRow(c: ContainerRecord, options: { trunc: boolean; now?: number }) {
  const now = options.now ?? Date.now();
  const command = listCommand(processArgs(c.config));
  const runes = [...command];
  const labels = c.config.Labels ?? {};
  return {
    ID: options.trunc ? shortId(c.id) : c.id,
    // The docker CLI shortens an image named by its id, as it shortens ids.
    Image: options.trunc && /^sha256:[a-f0-9]{64}$/.test(c.image) ? shortId(c.image) : c.image,
    Command: JSON.stringify(options.trunc && runes.length > 20 ? `${runes.slice(0, 19).join('')}…` : command),
    CreatedAt: dockerDate(c.createdAt),
    RunningFor: ago(c.createdAt, now),
    Ports: formatPortsColumn(c.networkSettings?.ports ?? [], Object.keys(c.config.ExposedPorts ?? {}).sort()),
    State: c.state.status,
    Status: containerStatusText(c, now),
    Size: '0B',
    Names: c.name,
    Labels: Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(','),
    Mounts: c.hostConfig.binds.filter((b) => b.type !== 'tmpfs').map((b) => b.source).join(','),
    Networks: c.hostConfig.networkMode,
    LocalVolumes: String(c.hostConfig.binds.filter((b) => b.type === 'volume').length),
    // The docker 28 CLI's platform column: null from an API 1.41 daemon.
    Platform: null,
    Label: (key: string) => labels[key] ?? '',
  };
}

/**
 * dockerd's container list Command: the path, then the arguments, each one holding a space put in
 * single quotes (not escaped): `sh -c 'echo a; echo b'`.
 */
export function listCommand(args: readonly string[]): string {
  const [path = '', ...rest] = args;
  return rest.length === 0 ? path : `${path} ${rest.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
}

/** A `docker images` row, one per name (`<none>` for an untagged image). */
export function imageListRows(image: ImageSummary, options: { trunc: boolean; now?: number; labels?: Record<string, string> }) {
  const now = options.now ?? Date.now();
  const labels = options.labels ?? {};
  const common = {
    ID: options.trunc ? shortId(image.id) : image.id,
    Digest: '<none>',
    CreatedSince: ago(image.created, now),
    CreatedAt: dockerDate(image.created),
    Size: humanSize(image.size),
    // go-units' HumanSize: 4 significant digits where Size has 3 (docker's imageContext).
    VirtualSize: humanSize(image.size, 4),
    Containers: 'N/A',
    SharedSize: 'N/A',
    UniqueSize: 'N/A',
    Label: (key: string) => labels[key] ?? '',
  };
  // A repository's digest (from a pull or push) goes on its rows; a repository known only by digest gets a row of its own.
  const digestOf = new Map<string, string>();
  for (const d of image.digests ?? []) {
    const ref = parseReference(d);
    if (ref.digest !== undefined && !digestOf.has(familiarRepository(ref))) digestOf.set(familiarRepository(ref), ref.digest);
  }
  const rows = image.names.map((name) => {
    const ref = parseReference(name);
    const repository = familiarRepository(ref);
    return { Repository: repository, Tag: ref.tag ?? '<none>', ...common, Digest: digestOf.get(repository) ?? '<none>' };
  });
  const tagged = new Set(rows.map((r) => r.Repository));
  for (const [repository, digest] of digestOf) if (!tagged.has(repository)) rows.push({ Repository: repository, Tag: '<none>', ...common, Digest: digest });
  if (rows.length === 0) return [{ Repository: '<none>', Tag: '<none>', ...common }];
  return rows;
}

/**
 * One element of the Engine API's `GET /containers/json` (dockerd 20.10's shape): what `docker ps`
 * and compose read. `Created` is in Unix seconds; `Names` carry the leading slash.
 */
export function containerSummaryView(c: ContainerRecord, options: { storeRoot: string; now?: number }) {
  const exposed = Object.keys(c.config.ExposedPorts ?? {});
  const published = c.networkSettings?.ports ?? [];
  const ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = published.map((p) => ({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol }));
  for (const key of exposed) {
    const [port = '', proto = 'tcp'] = key.split('/');
    if (!published.some((p) => String(p.containerPort) === port && p.protocol === proto)) ports.push({ PrivatePort: Number(port), Type: proto });
  }
  const network = containerNetworkSettingsView(c);
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: c.imageId,
    // dockerd's: an argument with a space in single quotes (what `docker ps` and berth's own ps show).
    Command: listCommand(processArgs(c.config)),
    Created: Math.floor(Date.parse(c.createdAt) / 1000),
    Ports: ports,
    Labels: goMap(c.config.Labels ?? {}),
    State: c.state.status,
    Status: containerStatusText(c, options.now),
    HostConfig: { NetworkMode: c.hostConfig.networkMode },
    NetworkSettings: { Networks: network.Networks },
    Mounts: containerMountsView(c, options.storeRoot),
  };
}
