import { errors, isNotFound } from '../base/index.js';
import { parseReference } from '../oci/index.js';
import { containerInspectView } from './container-view.js';
import type { Engine } from './engine.js';
import { imageInspectView } from './image-view.js';
import { networkInspectView } from './network-view.js';
import { volumeInspectView } from './volume-view.js';

/** The types berth's objects have, in the order an untyped `inspect` looks for a name (the docker CLI's). */
export type InspectType = 'container' | 'image' | 'network' | 'volume';

/** What the docker CLI's `--type` accepts; swarm's types (config, node, ...) name nothing in berth. */
export const inspectTypeNames = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'] as const;

/**
 * What `inspect` prints without --format: dockerd's objects as one JSON array, indented by 4,
 * and a newline. The native fast path (native/berth_inspect.c) prints cached elements framed the
 * same way: `[\n` + the elements joined by `,\n` + `\n]\n`.
 */
export function inspectJsonText(views: readonly unknown[]): string {
  return `${JSON.stringify(views, null, 4)}\n`;
}

/** One object's text inside inspectJsonText's array (indented as an element, no framing): the inspect render cache's body. */
export function inspectElementText(view: unknown): string {
  return inspectJsonText([view]).slice('[\n'.length, -'\n]\n'.length);
}

export interface InspectOptions {
  /** `inspect -s`: a container's SizeRw and SizeRootFs. */
  size?: boolean;
}

/**
 * `docker inspect NAME`: a container by that name or id, else an image, a network, a volume;
 * `type` limits the search to one kind and then a miss is that kind's error, worded as the docker
 * CLI prints it against dockerd (`No such container: x`, `no such image: x: No such image:
 * x:latest`, `network x not found`, `get x: no such volume`). Not found at all is Docker's
 * `No such object: NAME`.
 */
export async function inspectObject(engine: Engine, ref: string, type?: InspectType | (typeof inspectTypeNames)[number], options: InspectOptions = {}): Promise<unknown> {
  const lookups: [InspectType, () => Promise<unknown>][] = [
    ['container', async () => {
      // An engine with inspectView also refreshes the native fast path's render cache.
      const view = engine.containers.inspectView
        ? await engine.containers.inspectView(ref)
        : await engine.containers.inspect(ref).then(async (c) => containerInspectView(c, await engine.containers.hostFacts?.(c.id)));
      if (!options.size) return view;
      const { sizeRw, sizeRootFs } = await engine.containers.sizes(view.Id);
      // dockerd puts the sizes after GraphDriver.
      const entries = Object.entries(view);
      const at = entries.findIndex(([k]) => k === 'GraphDriver') + 1;
      return Object.fromEntries([...entries.slice(0, at), ['SizeRw', sizeRw], ['SizeRootFs', sizeRootFs], ...entries.slice(at)]);
    }],
    ['image', async () => {
      const image = await engine.images.resolve(ref);
      const summary = (await engine.images.list()).find((i) => i.id === image.id);
      return imageInspectView(image, summary?.names ?? [], summary?.digests ?? [], summary?.size, await engine.images.hostFacts?.(image.id));
    }],
    ['network', async () => networkInspectView(await engine.networks.inspect(ref))],
    ['volume', async () => volumeInspectView(await engine.volumes.inspect(ref))],
  ];
  for (const [kind, lookup] of lookups) {
    if (type !== undefined && type !== kind) continue;
    try {
      return await lookup();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (type !== undefined) throw typedNotFound(kind, ref);
    }
  }
  throw errors.notFound('NO_SUCH_OBJECT', `No such object: ${ref}`);
}

function typedNotFound(kind: InspectType, ref: string) {
  switch (kind) {
    case 'container':
      return errors.notFound('CONTAINER_NOT_FOUND', `No such container: ${ref}`);
    case 'image': {
      let familiar = ref;
      try {
        familiar = parseReference(ref).familiar;
      } catch {
        // an id prefix: named as given
      }
      return errors.notFound('IMAGE_NOT_FOUND', `no such image: ${ref}: No such image: ${familiar}`);
    }
    case 'network':
      return errors.notFound('NETWORK_NOT_FOUND', `network ${ref} not found`);
    case 'volume':
      return errors.notFound('VOLUME_NOT_FOUND', `get ${ref}: no such volume`);
  }
}
