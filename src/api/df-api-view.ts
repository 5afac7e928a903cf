/**
 * GET /system/df as dockerd 20.10 sends it at API 1.41: containers as GET /containers/json lists
 * them (with SizeRw and SizeRootFs), images as GET /images/json does (with Containers and
 * SharedSize), volumes with UsageData. The docker CLI prints `system df` from these fields.
 * (The list items here are the df's own; the container and image list routes have theirs.)
 */
import type { ContainerRecord } from '../core/containers/index.js';
import { processArgs } from '../core/containers/index.js';
import type { VolumeInfo } from '../core/volumes/index.js';
import { containerStatusText } from './container-view.js';
import { listCommand } from './list-views.js';
import type { DiskUsage, ImageSummary } from './engine.js';
import { containerNetworkSettingsView } from './network-view.js';
import { volumeInspectView } from './volume-view.js';
import { goMap } from './go-map.js';

const unixSeconds = (iso: string) => {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
};

/** Docker's Mounts of a container (ps and inspect): volumes with their mountpoints, binds with their propagation. */
function mountsView(c: ContainerRecord, mountpoints: ReadonlyMap<string, string> = new Map()) {
  return c.hostConfig.binds.filter((b) => b.type !== 'tmpfs').map((b) => (b.type === 'volume'
    ? { Type: 'volume', Name: b.source, Source: mountpoints.get(b.source) ?? '', Destination: b.target, Driver: 'local', Mode: 'z', RW: !b.readonly, Propagation: '' }
    : { Type: 'bind', Source: b.source, Destination: b.target, Mode: b.readonly ? 'ro' : '', RW: !b.readonly, Propagation: b.propagation ?? 'rprivate' }));
}

/** A container as GET /containers/json lists it; `size` adds SizeRw and SizeRootFs (`ps -s`, `system df`). */
function containerItem(c: ContainerRecord, options: { now?: number; size?: { rw: number; rootFs: number }; mountpoints?: ReadonlyMap<string, string> } = {}) {
  const settings = containerNetworkSettingsView(c);
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: c.image,
    ImageID: c.imageId,
    Command: listCommand(processArgs(c.config)),
    Created: unixSeconds(c.createdAt),
    Ports: (c.networkSettings?.ports ?? []).map((p) => ({ IP: p.hostIp || '0.0.0.0', PrivatePort: p.containerPort, PublicPort: p.hostPort, Type: p.protocol })),
    ...(options.size ? { SizeRw: options.size.rw, SizeRootFs: options.size.rootFs } : {}),
    Labels: goMap(c.config.Labels ?? {}),
    State: c.state.status,
    Status: containerStatusText(c, options.now),
    HostConfig: { NetworkMode: c.hostConfig.networkMode },
    NetworkSettings: { Networks: settings.Networks },
    Mounts: mountsView(c, options.mountpoints),
  };
}

/** An image as GET /images/json lists it (API 1.41: VirtualSize is Size); -1 where a count was not taken. */
function imageItem(image: ImageSummary, options: { containers?: number; sharedSize?: number; size?: number } = {}) {
  const size = options.size ?? image.size;
  return {
    Containers: options.containers ?? -1,
    Created: unixSeconds(image.created),
    Id: image.id,
    Labels: image.labels && Object.keys(image.labels).length > 0 ? goMap(image.labels) : null,
    ParentId: '',
    // dockerd 20.10 lists an untagged image as <none>:<none> and <none>@<none>.
    RepoDigests: image.digests && image.digests.length > 0 ? image.digests : image.names.length === 0 ? ['<none>@<none>'] : null,
    RepoTags: image.names.length > 0 ? image.names : ['<none>:<none>'],
    SharedSize: options.sharedSize ?? -1,
    Size: size,
    VirtualSize: size,
  };
}

/**
 * GET /system/df (the reference's §3.17): LayersSize (the images' bytes, each once), Images with
 * their container counts and shared sizes, Containers with SizeRw and SizeRootFs, Volumes with
 * UsageData, and the build cache as BuildKit's records (a step's layer: `regular`, a cache mount:
 * `exec.cachemount`). What the cache holds beyond its records (intermediate stages' unpacked
 * layers, content the next prune collects: see services/system-df.ts) is one more record,
 * `berth-unreferenced`, so that the docker CLI's sum of unshared records is berth's Build Cache
 * total; BuilderSize is that total (clients below API 1.42 read it).
 */
export function diskUsageView(usage: DiskUsage, lists: { images: readonly ImageSummary[]; containers: readonly ContainerRecord[]; volumes: readonly VolumeInfo[]; now?: number }) {
  const imageSize = new Map(usage.images.map((i) => [i.id, i]));
  const mountpoints = new Map(lists.volumes.map((v) => [v.name, v.mountpoint]));
  const images = usage.images.map((i) => {
    const summary = lists.images.find((s) => s.id === i.id) ?? { id: i.id as ImageSummary['id'], names: i.names, created: i.created, size: i.size };
    return imageItem(summary, { containers: i.containers, sharedSize: i.sharedSize, size: i.size });
  });
  const containers = usage.containers.flatMap((u) => {
    const record = lists.containers.find((c) => c.id === u.id);
    if (!record) return [];
    const rootFs = u.size + (imageSize.get(record.imageId)?.size ?? 0);
    return [containerItem(record, { size: { rw: u.size, rootFs }, mountpoints, ...(lists.now !== undefined ? { now: lists.now } : {}) })];
  });
  const volumes = usage.volumes.flatMap((u) => {
    const info = lists.volumes.find((v) => v.name === u.name);
    if (!info) return [];
    return [{ ...volumeInspectView(info), UsageData: { RefCount: u.links, Size: u.size } }];
  });
  const cache = usage.buildCache;
  const buildCache: Record<string, unknown>[] = cache.records.map((r) => ({
    ID: r.id, Parent: '', Parents: null, Type: r.type, Description: r.description, InUse: r.inUse, Shared: r.shared,
    Size: r.size, CreatedAt: r.created, LastUsedAt: r.lastUsed, UsageCount: r.usage,
  }));
  const unshared = cache.records.filter((r) => !r.shared).reduce((t, r) => t + r.size, 0);
  if (cache.size > unshared) {
    buildCache.push({
      ID: 'berth-unreferenced', Parent: '', Parents: null, Type: 'internal', Description: 'what no image, container or cache record refers to: intermediate stages\' unpacked layers, the work of builds, content the next prune collects',
      // Not a record with a history: dated now, so that the CLI's CREATED column says nothing odd.
      InUse: cache.reclaimable < cache.size, Shared: false, Size: cache.size - unshared, CreatedAt: new Date(lists.now ?? Date.now()).toISOString(), LastUsedAt: null, UsageCount: 0,
    });
  }
  return { LayersSize: usage.imagesTotal, Images: images, Containers: containers, Volumes: volumes, BuildCache: buildCache, BuilderSize: cache.size };
}
