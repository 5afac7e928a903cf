/**
 * The builder's end-to-end helpers: a store with the busybox base imported as Docker's fixtures
 * recorded it (`docker import`, no config), and the flattened file tree of an image, computed
 * from its layer blobs the way test/fixtures/build/image-tree.py does.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import tar from 'tar-stream';

import type { Store } from './harness.js';
import { createStore } from './harness.js';

export type BuildStore = Store;

/** A fresh store with `berth-test/busybox:1` imported without config; commands may run 10 minutes. */
export function createBuildStore(): BuildStore {
  return createStore({ bareBusybox: true, timeoutMs: 600_000 });
}

export interface InspectedImage {
  Id: string;
  Author?: string;
  Config: Record<string, unknown>;
  RootFS: { Layers: string[] };
  ManifestDigest: string;
}

export function inspectImage(store: BuildStore, ref: string): InspectedImage {
  const r = store.berth(['inspect', ref]);
  if (r.code !== 0) throw new Error(`inspect ${ref} failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as InspectedImage[])[0] as InspectedImage;
}

/** The image's OCI config (read from the store: `author`, `history`, `created`). */
export function imageConfigBlob(store: BuildStore, ref: string): { author?: string; created?: string; history?: { created_by?: string; empty_layer?: boolean }[] } {
  const manifest = JSON.parse(layerBlob(store, inspectImage(store, ref).ManifestDigest).toString('utf8')) as { config: { digest: string } };
  return JSON.parse(layerBlob(store, manifest.config.digest).toString('utf8')) as { author?: string };
}

export interface TreeEntry {
  path: string;
  type: string;
  mode?: string;
  uid?: number;
  gid?: number;
  size?: number;
  sha256?: string;
  text?: string;
  linkTarget?: string;
}

const norm = (name: string) => `/${name.split('/').filter((p) => p !== '' && p !== '.').join('/')}`;

function removeTree(tree: Map<string, TreeEntry>, path: string, keepSelf: boolean): void {
  const prefix = `${path.replace(/\/$/, '')}/`;
  for (const p of [...tree.keys()]) if (p.startsWith(prefix) || (p === path && !keepSelf)) tree.delete(p);
}

async function readEntries(data: Buffer): Promise<{ header: tar.Header; body: Buffer }[]> {
  const extract = tar.extract();
  const out: { header: tar.Header; body: Buffer }[] = [];
  const done = new Promise<void>((res, rej) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ header, body: Buffer.concat(chunks) });
        next();
      });
    });
    extract.on('finish', res);
    extract.on('error', rej);
  });
  Readable.from([data]).pipe(extract);
  await done;
  return out;
}

function entryOf(header: tar.Header, body: Buffer, tree: Map<string, TreeEntry>): TreeEntry | undefined {
  const path = norm(header.name);
  const e: TreeEntry = { path, type: 'file', mode: ((header.mode ?? 0) & 0o7777).toString(8).padStart(4, '0'), uid: header.uid ?? 0, gid: header.gid ?? 0 };
  if (header.type === 'directory') e.type = 'dir';
  else if (header.type === 'symlink') Object.assign(e, { type: 'symlink', linkTarget: header.linkname ?? '' });
  else if (header.type === 'link') {
    const target = norm(header.linkname ?? '');
    Object.assign(e, { type: 'hardlink', linkTarget: target });
    const t = tree.get(target);
    if (t?.sha256 !== undefined) Object.assign(e, { size: t.size, sha256: t.sha256 });
  } else if (header.type === 'file') {
    Object.assign(e, { size: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    if (body.length <= 1024) {
      const text = new TextDecoder('utf-8', { fatal: true });
      try {
        e.text = text.decode(body);
      } catch {
        // binary content: no text
      }
    }
  } else return undefined;
  return e;
}

async function applyLayer(tree: Map<string, TreeEntry>, data: Buffer): Promise<void> {
  const entries = await readEntries(data);
  for (const { header } of entries) {
    const path = norm(header.name);
    if (path.endsWith('/.wh..wh..opq')) removeTree(tree, path.slice(0, path.lastIndexOf('/')) || '/', true);
  }
  for (const { header, body } of entries) {
    const path = norm(header.name);
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (base === '.wh..wh..opq' || path === '/') continue;
    if (base.startsWith('.wh.')) {
      removeTree(tree, `${path.slice(0, path.lastIndexOf('/'))}/${base.slice(4)}`, false);
      continue;
    }
    const e = entryOf(header, body, tree);
    if (!e) continue;
    const old = tree.get(path);
    if (e.type !== 'dir' && old?.type === 'dir') removeTree(tree, path, false);
    tree.set(path, e);
  }
}

function layerBlob(store: BuildStore, digest: string): Buffer {
  return readFileSync(join(store.root, 'content', 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
}

/** The image's file tree; with a base, only what differs from it (plus `deleted` entries). */
export async function imageTree(store: BuildStore, ref: string, baseRef?: string): Promise<{ baseApplied: boolean; files: TreeEntry[] }> {
  const layers = inspectImage(store, ref).RootFS.Layers;
  const tree = new Map<string, TreeEntry>();
  for (const l of layers) await applyLayer(tree, layerBlob(store, l));
  let result = tree;
  let baseApplied = false;
  if (baseRef !== undefined) {
    const baseLayers = inspectImage(store, baseRef).RootFS.Layers;
    if (baseLayers.every((l, i) => layers[i] === l)) {
      baseApplied = true;
      const baseTree = new Map<string, TreeEntry>();
      for (const l of baseLayers) await applyLayer(baseTree, layerBlob(store, l));
      result = new Map([...tree].filter(([p, e]) => JSON.stringify(baseTree.get(p)) !== JSON.stringify(e)));
      for (const p of baseTree.keys()) if (!tree.has(p)) result.set(p, { path: p, type: 'deleted' });
    }
  }
  const files = [...result.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((p) => result.get(p) as TreeEntry);
  return { baseApplied, files };
}
