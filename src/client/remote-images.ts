/**
 * The ImageEngine of a remote engine: the daemon's images, pulls and pushes with their progress
 * streams, save/load as tar streams, import, and build (remote-build.ts).
 */
import type { Readable, Writable } from 'node:stream';

import { errors } from '../base/index.js';
import type { Digest, Operation } from '../base/index.js';
import type { DistributionInfo, ImageEngine, ImageSummary, ResolvedImage, LoadResult, ProgressEvent, PullOptions, PullResult, PushOptions, PushResult, SaveOptions } from '../api/index.js';
import type { ImageConfig, Manifest } from '../oci/index.js';
import { familiarRepository, parseReference } from '../oci/index.js';
import { registryAuthHeader } from './registry-auth.js';
import type { DockerApi } from './docker-api.js';
import { filtersParam, fromDaemon, jsonMessages } from './docker-api.js';
import { copyOutput } from './frames.js';
import type { Unsupported } from './unsupported.js';

interface DockerImageJson {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: string;
  Author?: string;
  Architecture: string;
  Os: string;
  Variant?: string;
  Size: number;
  Config: ImageConfig['config'] | null;
  RootFS: { Type: string; Layers?: string[] | null };
  GraphDriver?: { Data?: Record<string, string> | null };
  Metadata?: { LastTagTime?: string };
}

interface DockerHistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Size: number;
  Comment: string;
}

interface DockerImageSummary {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  Labels: Record<string, string> | null;
}

/** A JSON message of a progress stream (pull, push, build, load, import). */
export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: Record<string, unknown>;
  errorDetail?: { code?: number; message: string };
  error?: string;
}

/** The message's error, thrown: the stream's end after a failure. */
export function throwIfError(message: JsonMessage): void {
  const text = message.errorDetail?.message ?? message.error;
  if (text !== undefined) throw fromDaemon(errors.unknown('DAEMON_STREAM_ERROR', text));
}

const layerMedia = 'application/vnd.docker.image.rootfs.diff.tar';
const nameless = (names: readonly string[] | null) => (names ?? []).filter((n) => n !== '<none>:<none>' && n !== '<none>@<none>');
const ref = (name: string) => encodeURIComponent(name);

/** What removals through the daemon deleted, until the next `gc` reports it (remote-system.ts). */
export interface RemoteDeletions {
  ids: string[];
  bytes: number;
}

export function remoteImages(api: DockerApi, unsupported: Unsupported, deleted: RemoteDeletions): ImageEngine {
  const resolve = async (name: string): Promise<ResolvedImage & { record: undefined }> => {
    const [image, history] = await Promise.all([
      api.json<DockerImageJson>('GET', `/images/${ref(name)}/json`),
      api.json<DockerHistoryEntry[] | null>('GET', `/images/${ref(name)}/history`).catch(() => null),
    ]);
    return resolvedImage(image, history ?? []);
  };
  const progressOf = (options: PullOptions | PushOptions) => (message: JsonMessage) => {
    if (message.status === undefined) return;
    const event: ProgressEvent = { status: message.status };
    if (message.id !== undefined) event.id = message.id;
    const detail = message.progressDetail;
    if (detail?.current !== undefined) {
      event.current = detail.current;
      if (detail.total !== undefined) event.total = detail.total;
    }
    options.onProgressEvent?.(event);
    if (event.current === undefined) options.onProgress?.(message.id !== undefined ? `${message.id}: ${message.status}` : message.status);
  };

  const engine: ImageEngine = {
    resolve,

    /** The daemon's word on the image's unpacked layers, its last tag time, and each layer's size (from its history). */
    async hostFacts(name: string) {
      const [image, resolved] = await Promise.all([api.json<DockerImageJson>('GET', `/images/${ref(name)}/json`), resolve(name)]);
      const data = image.GraphDriver?.Data;
      return {
        graphDriver: data && data['MergedDir'] !== undefined ? { ...(data['LowerDir'] !== undefined ? { LowerDir: data['LowerDir'] } : {}), MergedDir: data['MergedDir'], UpperDir: data['UpperDir'] ?? '', WorkDir: data['WorkDir'] ?? '' } : null,
        lastTagTime: image.Metadata?.LastTagTime ?? '0001-01-01T00:00:00Z',
        layerSizes: resolved.manifest.layers.map((l) => l.size),
      };
    },

    async list(): Promise<ImageSummary[]> {
      const list = await api.json<DockerImageSummary[]>('GET', '/images/json');
      return list.map((i) => ({
        id: i.Id as Digest,
        names: nameless(i.RepoTags),
        digests: nameless(i.RepoDigests),
        created: new Date(i.Created * 1000).toISOString(),
        size: i.Size,
        ...(i.Labels ? { labels: i.Labels } : {}),
      }));
    },

    async import(tar: Readable, name: string, options = {}, op?: Operation) {
      const target = parseReference(name);
      const res = await api.request('POST', '/images/create', {
        query: { fromSrc: '-', repo: `${target.domain}/${target.path}`, tag: target.tag ?? target.digest, message: options.message, changes: options.changes ? [...options.changes] : undefined },
        body: tar, headers: { 'Content-Type': 'application/x-tar' }, ...(op?.signal ? { signal: op.signal } : {}),
      });
      let id: string | undefined;
      for await (const message of jsonMessages<JsonMessage>(res)) {
        throwIfError(message);
        if (message.status && /^sha256:[a-f0-9]{64}$/.test(message.status.trim())) id = message.status.trim();
      }
      return resolve(id ?? name);
    },

    async tag(source, name) {
      const target = parseReference(name);
      if (target.digest !== undefined) throw errors.invalidArgument('TAG_WITH_DIGEST', `refusing to create a tag with a digest reference: ${name}`);
      await api.call('POST', `/images/${ref(source)}/tag`, { query: { repo: `${familiarRepository(target)}`, tag: target.tag } });
    },

    async remove(name, options = {}) {
      const answer = await api.json<{ Untagged?: string; Deleted?: string }[]>('DELETE', `/images/${ref(name)}`, { query: { force: options.force === true } });
      for (const item of answer) if (item.Deleted) deleted.ids.push(item.Deleted);
      return answer.flatMap((item) => (item.Untagged ? [item.Untagged] : []));
    },

    // A local store's untagged records; a daemon's are pruned by POST /images/prune (pruneImages).
    pruneUntagged: () => Promise.reject(unsupported('image prune (untagged records)', 'a daemon collects its own store; `image prune` and `system prune` work with --host')),

    async pruneImages(options = {}) {
      const answer = await api.json<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number }>('POST', '/images/prune', { query: { filters: filtersParam([`dangling=${options.all ? 'false' : 'true'}`]) } });
      const items = answer.ImagesDeleted ?? [];
      for (const item of items) if (item.Deleted) deleted.ids.push(item.Deleted);
      deleted.bytes += answer.SpaceReclaimed ?? 0;
      return { untagged: items.flatMap((i) => (i.Untagged ? [i.Untagged] : [])), deleted: items.flatMap((i) => (i.Deleted ? [i.Deleted as Digest] : [])) };
    },

    // The build's context code (tar, .dockerignore) is loaded by build.
    build: async (request, op) => (await import('./remote-build.js')).remoteBuild(api, unsupported, request, op),

    bootstrap: () => Promise.reject(unsupported('image bootstrap', 'the Debian base is made from a local mirror')),
    checkReproducible: () => Promise.reject(unsupported('build --check-reproducible', 'the Engine API has no reproducibility check')),
    diff: () => Promise.reject(unsupported('image diff', "the Engine API does not read an image's files")),

    async save(refs: readonly string[], dest: { stream: Writable } | { dir: string }, options: SaveOptions = {}, op?: Operation) {
      if ('dir' in dest || (options.format ?? 'docker') !== 'docker') throw unsupported(`save --format ${options.format ?? 'oci-dir'}`, "the Engine API saves Docker's archive only");
      const res = await api.request('GET', '/images/get', { query: { names: [...refs] }, ...(op?.signal ? { signal: op.signal } : {}) });
      await copyOutput(res, { stdout: dest.stream }, true);
    },

    async load(source: { stream: Readable } | { dir: string }, op?: Operation): Promise<LoadResult> {
      if ('dir' in source) throw unsupported('load -i DIRECTORY', 'the Engine API loads a tar archive; make one with tar -C DIR -c .');
      const res = await api.request('POST', '/images/load', { query: { quiet: true }, body: source.stream, headers: { 'Content-Type': 'application/x-tar' }, ...(op?.signal ? { signal: op.signal } : {}) });
      const loaded: LoadResult['images'] = [];
      for await (const message of jsonMessages<JsonMessage>(res)) {
        throwIfError(message);
        for (const line of (message.stream ?? '').split('\n')) {
          const named = /^Loaded image: (.+)$/.exec(line.trim());
          const byId = /^Loaded image ID: (sha256:[a-f0-9]{64})$/.exec(line.trim());
          if (named) loaded.push({ name: named[1] as string, id: '' as Digest });
          else if (byId) loaded.push({ id: byId[1] as Digest });
        }
      }
      for (const image of loaded) if (image.name !== undefined) image.id = (await api.json<{ Id: Digest }>('GET', `/images/${ref(image.name)}/json`)).Id;
      return { images: loaded };
    },

    async pull(name: string, options: PullOptions = {}, op?: Operation): Promise<PullResult> {
      const target = parseReference(name);
      const res = await api.request('POST', '/images/create', {
        query: { fromImage: `${target.domain}/${target.path}`, tag: target.digest ?? target.tag, platform: options.platform },
        headers: { 'X-Registry-Auth': registryAuthHeader(target.domain, options.credentials) }, ...(op?.signal ? { signal: op.signal } : {}),
      });
      const progress = progressOf(options);
      let digest: string | undefined;
      let downloaded = true;
      for await (const message of jsonMessages<JsonMessage>(res)) {
        throwIfError(message);
        const digestLine = /^Digest: (sha256:[a-f0-9]{64})$/.exec(message.status ?? '');
        if (digestLine) digest = digestLine[1];
        if (/^Status: Image is up to date/.test(message.status ?? '')) downloaded = false;
        progress(message);
      }
      const image = await api.json<{ Id: Digest; RepoDigests: string[] | null }>('GET', `/images/${ref(target.full)}/json`);
      digest ??= target.digest ?? image.RepoDigests?.map((d) => d.slice(d.indexOf('@') + 1)).find((d) => d.startsWith('sha256:'));
      return { name: target.familiar, fullName: target.full, id: image.Id, digest: (digest ?? image.Id) as Digest, downloaded };
    },

    remoteTags: () => Promise.reject(unsupported('pull --all-tags', 'the Engine API has no way to list a repository\'s tags')),

    async inspectDistribution(name: string, options = {}, op?: Operation): Promise<DistributionInfo> {
      const target = parseReference(name);
      const answer = await api.json<{ Descriptor: { mediaType: string; digest: string; size: number }; Platforms: DistributionInfo['platforms'] | null }>('GET', `/distribution/${ref(target.full)}/json`, {
        headers: { 'X-Registry-Auth': registryAuthHeader(target.domain, options.credentials) }, ...(op?.signal ? { signal: op.signal } : {}),
      });
      return { descriptor: { mediaType: answer.Descriptor.mediaType, digest: answer.Descriptor.digest as Digest, size: answer.Descriptor.size }, platforms: answer.Platforms ?? [] };
    },

    async push(name: string, options: PushOptions = {}, op?: Operation): Promise<PushResult> {
      const target = parseReference(name);
      if (target.digest !== undefined) throw errors.invalidArgument('PUSH_DIGEST', `Cannot push "${name}": push a tag, not a digest`);
      const res = await api.request('POST', `/images/${ref(familiarRepository(target))}/push`, {
        query: { tag: target.tag }, headers: { 'X-Registry-Auth': registryAuthHeader(target.domain, options.credentials) }, ...(op?.signal ? { signal: op.signal } : {}),
      });
      const progress = progressOf(options);
      let result: PushResult | undefined;
      for await (const message of jsonMessages<JsonMessage>(res)) {
        throwIfError(message);
        const aux = message.aux as { Tag?: string; Digest?: string; Size?: number } | undefined;
        if (aux?.Digest) result = { tag: aux.Tag ?? target.tag ?? 'latest', digest: aux.Digest as Digest, size: aux.Size ?? 0 };
        progress(message);
      }
      if (!result) throw errors.unknown('PUSH_NO_DIGEST', `The daemon at ${api.endpoint.display} finished pushing "${name}" without saying its digest`);
      return result;
    },

    async checkLogin(domain, credentials) {
      await api.json('POST', '/auth', { body: { username: credentials.username, password: credentials.password, serveraddress: domain } });
    },
  };
  return engine;
}

/** The daemon's image as berth's ResolvedImage: its config, and a manifest of its layers sized as the history says. */
function resolvedImage(image: DockerImageJson, history: readonly DockerHistoryEntry[]): ResolvedImage & { record: undefined } {
  const diffIds = (image.RootFS.Layers ?? []) as Digest[];
  const entries = [...history].reverse();
  const made = layerEntries(entries, diffIds.length);
  const layerSizes = entries.filter((_, i) => made[i]).map((e) => e.Size);
  const config: ImageConfig = {
    ...(image.Created ? { created: image.Created } : {}),
    ...(image.Author ? { author: image.Author } : {}),
    architecture: image.Architecture,
    os: image.Os,
    ...(image.Variant ? { variant: image.Variant } : {}),
    config: image.Config ?? {},
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: entries.map((e, i) => ({
      created: new Date(e.Created * 1000).toISOString(),
      created_by: e.CreatedBy,
      ...(e.Comment ? { comment: e.Comment } : {}),
      ...(made[i] ? {} : { empty_layer: true }),
    })),
  };
  const sized = layerSizes.length === diffIds.length;
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: image.Id as Digest, size: 0 },
    layers: diffIds.map((digest, i) => ({ mediaType: layerMedia, digest, size: sized ? (layerSizes[i] as number) : i === diffIds.length - 1 ? image.Size : 0 })),
  };
  const repoDigest = (image.RepoDigests ?? []).map((d) => d.slice(d.indexOf('@') + 1)).find((d) => d.startsWith('sha256:'));
  return {
    manifestDescriptor: { mediaType: manifest.mediaType as string, digest: (repoDigest ?? image.Id) as Digest, size: 0 },
    manifest,
    config,
    id: image.Id as Digest,
    record: undefined,
  };
}

/**
 * Which history entries (oldest first) made a layer: the API says only their sizes. Those with a
 * size did; when that leaves layers unaccounted for, the newest empty ones that ran something
 * (not a `#(nop)` instruction: a commit, an import, a RUN that changed nothing) did too.
 */
function layerEntries(entries: readonly DockerHistoryEntry[], layers: number): boolean[] {
  const made = entries.map((e) => e.Size > 0);
  let missing = layers - made.filter(Boolean).length;
  for (const nop of [false, true]) {
    for (let i = entries.length - 1; i >= 0 && missing > 0; i--) {
      if (made[i] || (!nop && /#\(nop\)/.test(entries[i]?.CreatedBy ?? ''))) continue;
      made[i] = true;
      missing--;
    }
  }
  return made;
}
