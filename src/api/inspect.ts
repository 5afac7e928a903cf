import { errors, isNotFound } from '../base/index.js';
import { containerInspectView } from './container-view.js';
import type { Engine } from './engine.js';
import { imageInspectView } from './image-view.js';

export type InspectType = 'container' | 'image';

/**
 * `docker inspect NAME`: a container by that name or id, else an image; `type` limits the
 * search to one kind. Not found at all is Docker's `No such object: NAME`.
 */
export async function inspectObject(engine: Engine, ref: string, type?: InspectType): Promise<unknown> {
  if (type !== 'image') {
    try {
      return containerInspectView(await engine.containers.inspect(ref));
    } catch (err) {
      if (type === 'container' || !isNotFound(err)) throw err;
    }
  }
  try {
    const image = await engine.images.resolve(ref);
    const summary = (await engine.images.list()).find((i) => i.id === image.id);
    return imageInspectView(image, summary?.names ?? [], summary?.digests ?? []);
  } catch (err) {
    if (isNotFound(err)) throw errors.notFound('NO_SUCH_OBJECT', `No such object: ${ref}`);
    throw err;
  }
}
