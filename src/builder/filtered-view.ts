/**
 * A view of a context directory without what the .dockerignore excludes, for RUN bind mounts:
 * the step must not see files the cache key ignores. Made by the walker COPY uses, so both see
 * the same files: directories are created, files hard-linked (copied across file systems),
 * symlinks recreated. The view is mounted read-only or under a throwaway overlay, so a linked
 * file is never written through it.
 */
import type { Stats } from 'node:fs';
import { chmodSync, chownSync, copyFileSync, lchownSync, linkSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode } from '../base/index.js';
import type { SourceEntry, SourceRoot } from './context-sources.js';
import { walkSource } from './context-sources.js';

function linkOrCopy(abs: string, st: Stats, dest: string): void {
  try {
    linkSync(abs, dest);
  } catch (err) {
    if (errnoCode(err) !== 'EXDEV') throw err;
    copyFileSync(abs, dest);
    chmodSync(dest, st.mode & 0o7777);
    chownSync(dest, st.uid, st.gid);
  }
}

function addNode(abs: string, st: Stats, dest: string): void {
  if (st.isDirectory()) {
    mkdirSync(dest, { recursive: true });
    chmodSync(dest, st.mode & 0o7777);
    chownSync(dest, st.uid, st.gid);
  } else if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(abs), dest);
    lchownSync(dest, st.uid, st.gid);
  } else if (st.isFile()) linkOrCopy(abs, st, dest);
  // sockets, fifos and devices in a context are left out, as COPY leaves them
}

/** Builds the filtered view of `entry` (a directory in `root`) at `dest`, which must not exist. */
export function makeFilteredView(root: SourceRoot, entry: SourceEntry, dest: string): Promise<void> {
  walkSource(root, entry, (rel, abs, st) => addNode(abs, st, rel === '' ? dest : join(dest, rel)));
  return Promise.resolve();
}
