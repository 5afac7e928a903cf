/**
 * Image, volume and network events (`berth events`): the services wrapped so that each change
 * they make is recorded after it succeeded, with the ids and attributes dockerd 20.10 gives (see
 * src/e2e/events.test.ts for the lines observed). Container events are recorded where the
 * lifecycle steps happen (container-lifecycle.ts, container-monitor.ts, containers.ts), since a
 * container also changes without an engine call (its monitor's clean-up, a restart).
 */
import type { Digest } from '../base/index.js';
import { familiarRepository, parseReference } from '../oci/index.js';
import type { ImageEngine, NetworkEngine, VolumeEngine } from '../api/index.js';
import type { EngineContext } from './engine-context.js';
import { recordEvent } from './events.js';

/** Docker's image attributes: the image's labels, then `name`. */
function imageAttributes(labels: Record<string, string> | undefined, name: string): Record<string, string> {
  return { ...(labels ?? {}), name };
}

export function withImageEvents(ctx: EngineContext, images: ImageEngine): ImageEngine {
  if (!ctx.events) return images;
  const labelsOf = async (ref: string) => {
    try {
      return (await images.resolve(ref)).config.config?.Labels ?? undefined;
    } catch {
      return undefined;
    }
  };
  const record = async (action: string, id: string, name: string, labelsRef: string = id) => {
    recordEvent(ctx, 'image', action, id, imageAttributes(await labelsOf(labelsRef), name));
  };
  return {
    ...images,
    async import(tar, name, options, op) {
      const image = await images.import(tar, name, options, op);
      // dockerd names the new image first (a tag event), then logs the import by id.
      await record('tag', image.id, parseReference(name).familiar);
      await record('import', image.id, image.id);
      return image;
    },
    async tag(ref, name) {
      await images.tag(ref, name);
      const image = await images.resolve(name);
      await record('tag', image.id, parseReference(name).familiar);
    },
    async remove(ref, options) {
      const image = await images.resolve(ref);
      const labels = image.config.config?.Labels ?? undefined;
      const untagged = await images.remove(ref, options);
      // dockerd 20.10 names the image by its id in untag and delete events.
      for (let i = 0; i < untagged.length; i++) recordEvent(ctx, 'image', 'untag', image.id, imageAttributes(labels, image.id));
      if (!ctx.metadata.listImages().some((r) => r.id === image.id)) recordEvent(ctx, 'image', 'delete', image.id, imageAttributes(labels, image.id));
      return untagged;
    },
    async pruneImages(options) {
      const result = await images.pruneImages(options);
      for (const id of result.deleted) recordEvent(ctx, 'image', 'delete', id, { name: id });
      return result;
    },
    async pull(name, options, op) {
      const result = await images.pull(name, options, op);
      await record('pull', result.name, familiarRepository(parseReference(result.name)), result.id);
      return result;
    },
    async push(name, options, op) {
      const result = await images.push(name, options, op);
      const ref = parseReference(name);
      await record('push', ref.familiar, familiarRepository(ref), name);
      return result;
    },
    async load(source, op) {
      const result = await images.load(source, op);
      for (const { id } of result.images) await record('load', id, id);
      return result;
    },
    async save(refs, dest, options, op) {
      const ids: Digest[] = [];
      for (const ref of refs) ids.push((await images.resolve(ref)).id);
      await images.save(refs, dest, options, op);
      for (const id of new Set(ids)) await record('save', id, id);
    },
  };
}

export function withVolumeEvents(ctx: EngineContext, volumes: VolumeEngine): VolumeEngine {
  if (!ctx.events) return volumes;
  const destroy = (name: string) => recordEvent(ctx, 'volume', 'destroy', name, { driver: 'local' });
  return {
    ...volumes,
    async create(request) {
      const volume = await volumes.create(request);
      recordEvent(ctx, 'volume', 'create', volume.name, { driver: 'local' });
      return volume;
    },
    async remove(name, options) {
      const existed = await volumes.inspect(name).then(() => true, () => false);
      await volumes.remove(name, options);
      if (existed) destroy(name);
    },
    async prune(options) {
      const result = await volumes.prune(options);
      result.removed.forEach(destroy);
      return result;
    },
  };
}

export function withNetworkEvents(ctx: EngineContext, networks: NetworkEngine): NetworkEngine {
  if (!ctx.events) return networks;
  const attrs = (name: string, driver: string) => ({ name, type: driver === 'none' ? 'null' : driver });
  return {
    ...networks,
    async create(request) {
      const network = await networks.create(request);
      recordEvent(ctx, 'network', 'create', network.id, attrs(network.name, network.driver));
      return network;
    },
    async remove(ref) {
      const network = await networks.inspect(ref);
      const name = await networks.remove(ref);
      recordEvent(ctx, 'network', 'destroy', network.id, attrs(network.name, network.driver));
      return name;
    },
    async prune() {
      const before = new Map((await networks.list()).map((n) => [n.name, n]));
      const removed = await networks.prune();
      for (const name of removed) {
        const n = before.get(name);
        if (n) recordEvent(ctx, 'network', 'destroy', n.id, attrs(n.name, n.driver));
      }
      return removed;
    },
    async connect(ref, container, options) {
      await networks.connect(ref, container, options);
      const network = await networks.inspect(ref);
      recordEvent(ctx, 'network', 'connect', network.id, { container: ctx.metadata.findContainer(container).id, ...attrs(network.name, network.driver) });
    },
    async disconnect(ref, container, options) {
      const network = await networks.inspect(ref);
      const id = ctx.metadata.findContainer(container).id;
      await networks.disconnect(ref, container, options);
      recordEvent(ctx, 'network', 'disconnect', network.id, { container: id, ...attrs(network.name, network.driver) });
    },
  };
}
