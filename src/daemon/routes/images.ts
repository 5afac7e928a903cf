/**
 * Image routes: list, inspect, history, tag, remove, pull (`/images/create`, also import with
 * `fromSrc=-`), push, save (`/images/get`), load, prune, search (refused), `/distribution`, and
 * `/auth` (a registry login check). Shapes and messages are dockerd 20.10's (API 1.41), checked
 * against it (src/e2e/daemon-images.test.ts).
 */
import { beginOperation, errors, isBerthError, isNotFound, shortId } from '../../base/index.js';
import type { Operation } from '../../base/index.js';
import type { Engine, ImageSummary, ProgressEvent, RegistryCredentials } from '../../api/index.js';
import { filterImages, imageInspectView, pruneImagesFiltered } from '../../api/index.js';
import { familiarRepository, parseReference, registryDomain } from '../../oci/index.js';
import type { ApiCall } from '../api-call.js';
import { JsonMessageStream, progressMessage, type JsonMessage } from '../json-messages.js';
import { credentialsOf, registryAuth } from '../registry-auth.js';
import type { Router } from '../router.js';

type Resolved = Awaited<ReturnType<Engine['images']['resolve']>>;

const idLike = (ref: string) => /^(sha256:)?[a-f0-9]{4,64}$/.test(ref);

/** How dockerd names an image it cannot find: the familiar reference (`busybox:latest`), or the id as given. */
export function noSuchImage(ref: string) {
  let shown = ref;
  if (!/^sha256:/.test(ref)) {
    try {
      shown = parseReference(ref).familiar;
    } catch {
      // not a reference: named as given
    }
  }
  return errors.notFound('IMAGE_NOT_FOUND', `No such image: ${shown}`);
}

export async function resolveImage(engine: Engine, ref: string): Promise<Resolved> {
  try {
    return await engine.images.resolve(ref);
  } catch (err) {
    if (isNotFound(err) || (isBerthError(err) && err.code === 'BERTH_E_INVALID_REFERENCE')) throw noSuchImage(ref);
    throw err;
  }
}

/**
 * A pull's messages in the order dockerd gives them: a layer berth unpacks while it downloads
 * can be complete before its download is reported verified; its `Pull complete` waits for its
 * `Download complete`.
 */
function inDockerOrder(write: (message: JsonMessage) => void): { write(message: JsonMessage): void; flush(): void } {
  const downloading = new Set<string>();
  const waiting = new Map<string, JsonMessage>();
  const flush = () => {
    for (const message of waiting.values()) write(message);
    waiting.clear();
  };
  return {
    write(message) {
      const id = message.id;
      if (id === undefined || message.progressDetail === undefined) {
        if (message.status?.startsWith('Digest:')) flush();
        write(message);
        return;
      }
      if (message.status === 'Pulling fs layer') downloading.add(id);
      if (message.status === 'Pull complete' && downloading.has(id)) {
        waiting.set(id, message);
        return;
      }
      write(message);
      if (message.status === 'Download complete') {
        downloading.delete(id);
        const held = waiting.get(id);
        waiting.delete(id);
        if (held) write(held);
      }
    },
    flush,
  };
}

/** Runs `fn` in an operation of its own, cancelled when the client goes away. */
async function inOperation<T>(call: ApiCall, fn: (op: Operation) => Promise<T>): Promise<T> {
  const op = beginOperation({ signal: call.signal });
  try {
    return await fn(op);
  } finally {
    op.end();
  }
}

const unix = (iso: string | undefined) => Math.floor((Date.parse(iso ?? '') || 0) / 1000);

/** `/images/json`'s element: dockerd's fields; an image without names shows `<none>` ones. */
function imageListItem(image: ImageSummary, version: number) {
  const tags = image.names.length > 0 ? [...image.names] : null;
  const digests = image.digests && image.digests.length > 0 ? [...image.digests] : null;
  return {
    Containers: -1,
    Created: unix(image.created),
    Id: image.id,
    Labels: image.labels ?? null,
    ParentId: '',
    RepoDigests: tags === null && digests === null ? ['<none>@<none>'] : digests,
    RepoTags: tags === null && digests === null ? ['<none>:<none>'] : tags,
    SharedSize: -1,
    Size: image.size,
    // dropped by API 1.44
    ...(version < 144 ? { VirtualSize: image.size } : {}),
  };
}

/** `docker image inspect`: berth's view in dockerd's field order, with the fields berth has no use for at their empty values. */
function imageInspectItem(image: Resolved, summary: ImageSummary | undefined, version: number) {
  const view = imageInspectView(image, summary?.names ?? [], summary?.digests ?? []);
  const { ManifestDigest, ...docker } = view;
  return {
    Id: docker.Id,
    RepoTags: docker.RepoTags,
    RepoDigests: docker.RepoDigests,
    Parent: '',
    Comment: docker.Comment,
    Created: docker.Created,
    Container: '',
    ContainerConfig: emptyContainerConfig(),
    DockerVersion: '',
    Author: docker.Author,
    Config: docker.Config ?? null,
    Architecture: docker.Architecture,
    ...(image.config.variant !== undefined ? { Variant: image.config.variant } : {}),
    Os: docker.Os,
    Size: docker.Size,
    ...(version < 144 ? { VirtualSize: docker.Size } : {}),
    GraphDriver: { Data: null, Name: 'overlay2' },
    RootFS: docker.RootFS,
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    // berth's own: the manifest the image is stored as (what `berth image inspect` shows too)
    ManifestDigest,
  };
}

function emptyContainerConfig() {
  return {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false,
    Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  };
}

/** `/images/{name}/history`: newest first; the top entry carries the image's id and tags, the others `<missing>`. */
function historyItems(image: Resolved, tags: readonly string[]) {
  const layers = [...image.manifest.layers];
  const rows = (image.config.history ?? []).map((entry) => ({
    Comment: entry.comment ?? '',
    Created: unix(entry.created),
    CreatedBy: entry.created_by ?? '',
    Id: '<missing>',
    Size: entry.empty_layer === true ? 0 : (layers.shift()?.size ?? 0),
    Tags: null as string[] | null,
  })).reverse();
  const top = rows[0];
  if (top) {
    top.Id = image.id;
    top.Tags = tags.length > 0 ? [...tags] : null;
  }
  return rows;
}

async function summaryOf(engine: Engine, id: string): Promise<ImageSummary | undefined> {
  return (await engine.images.list()).find((i) => i.id === id);
}

/** Blobs (and their sizes) of the images `ids`: manifest, config and layers. */
async function blobsOf(engine: Engine, ids: Iterable<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const id of ids) {
    let image: Resolved;
    try {
      image = await engine.images.resolve(id);
    } catch {
      continue;
    }
    out.set(image.manifestDescriptor.digest, image.manifestDescriptor.size);
    out.set(image.manifest.config.digest, image.manifest.config.size);
    for (const layer of image.manifest.layers) out.set(layer.digest, layer.size);
  }
  return out;
}

/** `X-Registry-Auth` for push: required, with dockerd's fallback to a JSON body and its message when both are missing. */
async function pushAuth(call: ApiCall): Promise<RegistryCredentials | null> {
  const header = registryAuth(call);
  if (header !== undefined) return header;
  let body: Record<string, unknown> | undefined;
  try {
    body = await call.json<Record<string, unknown> | undefined>(undefined);
  } catch {
    body = undefined;
  }
  if (body === undefined || body === null || typeof body !== 'object') throw errors.invalidArgument('MISSING_REGISTRY_AUTH', 'Bad parameters and missing X-Registry-Auth: EOF');
  return credentialsOf(body, 'the request body');
}

export function addImageRoutes(router: Router): void {
  router.add('GET', '/images/json', async (call) => {
    const all = await call.engine.images.list();
    const filters = call.filters();
    // `filter=` (API < 1.41's single reference filter)
    const legacy = call.string('filter');
    if (legacy !== undefined) filters.push(`reference=${legacy}`);
    const images = filterImages(all, filters, {
      findImage(ref) {
        const byId = idLike(ref) ? all.find((i) => i.id === ref || i.id.startsWith(`sha256:${ref.replace(/^sha256:/, '')}`)) : undefined;
        if (byId) return byId;
        let familiar = ref;
        try {
          familiar = parseReference(ref).familiar;
        } catch {
          // named as given
        }
        const found = all.find((i) => i.names.includes(familiar) || (i.digests ?? []).includes(familiar));
        if (!found) throw errors.notFound('IMAGE_NOT_FOUND', `No such image: ${familiar}`);
        return found;
      },
    });
    call.send(200, images.map((i) => imageListItem(i, call.version)));
  });

  router.add('GET', '/images/search', () => {
    throw errors.notImplemented('SEARCH_UNSUPPORTED', 'Searching a registry is not supported by berth: registries serve no search API (Docker Hub\'s is its own); look the image up on the registry\'s site');
  });

  router.add('GET', '/images/get', async (call) => {
    await saveImages(call, call.query.getAll('names'));
  });

  router.add('POST', '/images/load', async (call) => {
    // `quiet=0` asks for "Loading layer" progress, which berth's load does not report: the answer is the same either way
    const result = await inOperation(call, (op) => call.engine.images.load({ stream: call.body() }, op));
    // the docker CLI reads the answer as JSON messages only with exactly this Content-Type (§3.22)
    const out = call.jsonLines();
    for (const image of result.images) out.write({ stream: image.name !== undefined ? `Loaded image: ${image.name}\n` : `Loaded image ID: ${image.id}\n` });
    out.end();
  });

  router.add('POST', '/images/create', async (call) => {
    const fromSrc = call.string('fromSrc');
    if (fromSrc !== undefined) return importImage(call, fromSrc);
    const fromImage = call.string('fromImage');
    if (fromImage === undefined) throw errors.invalidArgument('MISSING_PARAMETER', 'fromImage or fromSrc is required');
    const tag = call.string('tag');
    const platform = call.string('platform');
    const credentials = registryAuth(call) ?? null;
    const stream = new JsonMessageStream(call);
    const ordered = inDockerOrder((message) => {
      if (!stream.started && message.status?.startsWith('Pulling from ')) stream.hold(message);
      else stream.write(message);
    });
    await inOperation(call, async (op) => {
      try {
        let names: string[];
        if (tag !== undefined) names = [/^sha256:[a-f0-9]{64}$/.test(tag) ? `${fromImage}@${tag}` : `${fromImage}:${tag}`];
        else if (/[:@][^/]*$/.test(fromImage)) names = [fromImage];
        else {
          // no tag at all: every tag of the repository (`docker pull -a`)
          names = (await call.engine.images.remoteTags(fromImage, op)).map((t) => `${fromImage}:${t}`);
        }
        for (const name of names) {
          await call.engine.images.pull(name, {
            ...(platform !== undefined ? { platform } : {}),
            credentials,
            onProgressEvent: (event: ProgressEvent) => ordered.write(progressMessage(event)),
          }, op);
        }
        ordered.flush();
        stream.end();
      } catch (err) {
        stream.fail(err);
      }
    });
  });

  router.add('POST', '/images/prune', async (call) => {
    const filters = call.filters();
    const engine = call.engine;
    const before = await engine.images.list();
    // each image's blobs, read before any goes: what the deleted ones held alone is the space reclaimed
    const blobs = new Map<string, Map<string, number>>();
    for (const image of before) blobs.set(image.id, await blobsOf(engine, [image.id]));
    const result = await pruneImagesFiltered(engine, filters);
    const deleted: Record<string, string>[] = result.untagged.map((name) => ({ Untagged: name }));
    const ids = result.deleted;
    for (const id of ids) deleted.push({ Deleted: id });
    const kept = new Set<string>();
    for (const [id, map] of blobs) if (!ids.includes(id)) for (const digest of map.keys()) kept.add(digest);
    const gone = new Map<string, number>();
    for (const id of ids) for (const [digest, size] of blobs.get(id) ?? []) if (!kept.has(digest)) gone.set(digest, size);
    const reclaimed = [...gone.values()].reduce((a, b) => a + b, 0);
    await engine.system.gc();
    call.send(200, { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed });
  });

  router.add('GET', '/distribution/{name*}/json', async (call) => {
    const info = await inOperation(call, (op) => call.engine.images.inspectDistribution(call.params.name!, { credentials: registryAuth(call) ?? null }, op));
    call.send(200, { Descriptor: info.descriptor, Platforms: info.platforms });
  });

  router.add('POST', '/auth', async (call) => {
    const body = await call.json<Record<string, unknown>>({});
    const credentials = credentialsOf(body, 'the login');
    if (credentials === null) throw errors.invalidArgument('MISSING_CREDENTIALS', 'a username and a password are required');
    const server = typeof body.serveraddress === 'string' && body.serveraddress !== '' ? body.serveraddress : 'docker.io';
    const domain = registryDomain(server);
    try {
      await inOperation(call, (op) => call.engine.images.checkLogin(domain, credentials, op));
    } catch (err) {
      if (!isBerthError(err, 'PermissionDenied')) throw err;
      // dockerd's words (its status then was 500; newer ones answer 401, as here)
      const scheme = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(domain) ? 'http' : 'https';
      call.send(401, { message: `login attempt to ${scheme}://${domain === 'docker.io' ? 'registry-1.docker.io' : domain}/v2/ failed with status: 401 Unauthorized` });
      return;
    }
    call.send(200, { IdentityToken: '', Status: 'Login Succeeded' });
  });

  // routes on a name: `{name*}` is greedy (a name holds `/` and `:`), so each suffix has its own pattern
  router.add('GET', '/images/{name*}/json', async (call) => {
    const image = await resolveImage(call.engine, call.params.name!);
    call.send(200, imageInspectItem(image, await summaryOf(call.engine, image.id), call.version));
  });

  router.add('GET', '/images/{name*}/history', async (call) => {
    const image = await resolveImage(call.engine, call.params.name!);
    call.send(200, historyItems(image, (await summaryOf(call.engine, image.id))?.names ?? []));
  });

  router.add('GET', '/images/{name*}/get', async (call) => {
    await saveImages(call, [call.params.name!]);
  });

  router.add('POST', '/images/{name*}/tag', async (call) => {
    const repo = call.string('repo');
    if (repo === undefined) throw errors.invalidArgument('MISSING_PARAMETER', 'repository name must have at least one component');
    const tag = call.string('tag');
    const source = call.params.name!;
    await resolveImage(call.engine, source);
    const target = tag === undefined ? repo : `${repo}:${tag}`;
    if (tag !== undefined && /^sha256:/.test(tag)) throw errors.invalidArgument('INVALID_TAG', `refusing to create a tag with a digest reference: ${target}`);
    await call.engine.images.tag(source, target);
    call.empty(201);
  });

  router.add('POST', '/images/{name*}/push', async (call) => {
    const name = call.params.name!;
    const tag = call.string('tag');
    const credentials = await pushAuth(call);
    const engine = call.engine;
    let names: string[];
    if (tag !== undefined) names = [`${name}:${tag}`];
    else if (/[:@][^/]*$/.test(name)) names = [name];
    else {
      // no tag: every local tag of the repository (`docker push -a`)
      const repository = familiarRepository(parseReference(name));
      names = (await engine.images.list()).flatMap((i) => i.names).filter((n) => familiarRepository(parseReference(n)) === repository).sort();
    }
    if (names.length === 0) throw errors.notFound('IMAGE_NOT_FOUND', `An image does not exist locally with the tag: ${name}`);
    for (const each of names) {
      try {
        await engine.images.resolve(each);
      } catch (err) {
        if (isNotFound(err)) throw errors.notFound('IMAGE_NOT_FOUND', `An image does not exist locally with the tag: ${familiarRepository(parseReference(each))}`);
        throw err;
      }
    }
    const stream = new JsonMessageStream(call);
    await inOperation(call, async (op) => {
      try {
        for (const each of names) {
          const result = await engine.images.push(each, { credentials, onProgressEvent: (event) => stream.write(progressMessage(event)) }, op);
          stream.write({ progressDetail: {}, aux: { Tag: result.tag, Digest: result.digest, Size: result.size } });
        }
        stream.end();
      } catch (err) {
        stream.fail(err);
      }
    });
  });

  router.add('DELETE', '/images/{name*}', async (call) => {
    call.send(200, await removeImage(call.engine, call.params.name!, { force: call.bool('force') }));
  });
}

/** `docker save`: every name resolved first (a missing one is a 404), then the archive streamed. */
async function saveImages(call: ApiCall, names: string[]): Promise<void> {
  if (names.length === 0) throw errors.invalidArgument('MISSING_PARAMETER', 'no images named: use names=IMAGE');
  for (const name of names) {
    try {
      await call.engine.images.resolve(name);
    } catch (err) {
      if (isNotFound(err) || (isBerthError(err) && err.code === 'BERTH_E_INVALID_REFERENCE')) throw errors.notFound('IMAGE_NOT_FOUND', `No such image: ${name}`);
      throw err;
    }
  }
  const res = call.stream('application/x-tar');
  try {
    await inOperation(call, (op) => call.engine.images.save(names, { stream: res }, {}, op));
    res.end();
  } catch (err) {
    // a tar cut short must not look complete: the connection is dropped, not the chunked body ended
    res.destroy(err instanceof Error ? err : new Error(String(err)));
  }
}

/** `docker import` through `/images/create?fromSrc=-`: the body is the rootfs tarball. */
async function importImage(call: ApiCall, fromSrc: string): Promise<void> {
  if (fromSrc !== '-') throw errors.invalidArgument('IMPORT_URL_UNSUPPORTED', `Importing from a URL (fromSrc=${fromSrc}) is not supported by berth: send the tarball in the request body (fromSrc=-)`);
  const repo = call.string('repo');
  if (repo === undefined) throw errors.invalidArgument('IMPORT_NEEDS_NAME', 'berth names every imported image: give a repository (docker import FILE REPOSITORY[:TAG])');
  const tag = call.string('tag');
  const message = call.string('message');
  const changes = call.query.getAll('changes').filter((c) => c !== '');
  const image = await inOperation(call, (op) => call.engine.images.import(call.body(), tag === undefined ? repo : `${repo}:${tag}`, { changes, source: '-', ...(message !== undefined ? { message } : {}) }, op));
  const out = call.jsonLines();
  out.write({ status: image.id });
  out.end();
}

/**
 * `docker rmi`: dockerd's rules and words — an id with names in several repositories needs
 * force; an image a container uses is kept (its last name too) unless forced, and never while
 * a running container uses it when named by id. Answers the names untagged and, when the image
 * is gone, its id.
 */
async function removeImage(engine: Engine, ref: string, options: { force: boolean }): Promise<Record<string, string>[]> {
  const image = await resolveImage(engine, ref);
  const summary = await summaryOf(engine, image.id);
  const names = summary?.names ?? [];
  let familiar: string | undefined;
  try {
    familiar = parseReference(ref).familiar;
  } catch {
    familiar = undefined;
  }
  const byId = idLike(ref) && (familiar === undefined || (!names.includes(familiar) && !(summary?.digests ?? []).includes(familiar)));
  const short = shortId(image.id);
  if (byId && !options.force && new Set(names.map((n) => familiarRepository(parseReference(n)))).size > 1) {
    throw errors.failedPrecondition('IMAGE_CONFLICT', `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
  }
  // the image goes (not just a name) when named by id, or by its last tag
  const lastName = byId || names.filter((n) => n !== familiar).length === 0;
  if (lastName) {
    const users = (await engine.containers.list({ all: true })).filter((c) => c.imageId === image.id);
    const running = users.find((c) => c.state.status === 'running' || c.state.status === 'paused' || c.state.status === 'restarting');
    if (byId && running) throw errors.failedPrecondition('IMAGE_CONFLICT', `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${shortId(running.id)}`);
    const user = users[0];
    if (user && !options.force) {
      throw errors.failedPrecondition('IMAGE_CONFLICT', byId
        ? `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${shortId(user.id)}`
        : `conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(user.id)} is using its referenced image ${short}`);
    }
  }
  const untagged = await engine.images.remove(byId ? image.id : ref, { force: options.force });
  const out: Record<string, string>[] = untagged.filter((n) => n !== '<none>').map((n) => ({ Untagged: n }));
  let gone = false;
  try {
    await engine.images.resolve(image.id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    gone = true;
  }
  if (gone) {
    out.push({ Deleted: image.id });
    // its content, unless other images share it; `noprune` keeps untagged parent images in dockerd, and berth's images have none
    await engine.system.gc();
  }
  return out;
}
