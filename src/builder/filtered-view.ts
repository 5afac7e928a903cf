/**
 * A view of a context directory without what the .dockerignore excludes, for RUN bind mounts:
 * the step must not see files the cache key ignores. Made by the walker COPY uses, so both see
 * the same files: directories are created, files hard-linked (copied across file systems),
 * symlinks recreated. The view is mounted read-only or under a throwaway overlay, so a linked
 * file is never written through it.
 */
import type { Stats } from 'node:fs';
import { chmod, chown, copyFile, lchown, link, mkdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';

import { errnoCode } from '../base/index.js';
import type { SourceEntry, SourceRoot } from './context-sources.js';
import { walkSource } from './context-sources.js';

async function linkOrCopy(abs: string, st: Stats, dest: string): Promise<void> {
  try {
    await link(abs, dest);
  } catch (err) {
    if (errnoCode(err) !== 'EXDEV') throw err;
    await copyFile(abs, dest);
    await chmod(dest, st.mode & 0o7777);
    await chown(dest, st.uid, st.gid);
  }
}

async function addNode(abs: string, st: Stats, dest: string): Promise<void> {
  if (st.isDirectory()) {
    await mkdir(dest, { recursive: true });
    await chmod(dest, st.mode & 0o7777);
    await chown(dest, st.uid, st.gid);
  } else if (st.isSymbolicLink()) {
    await symlink(await readlink(abs), dest);
    await lchown(dest, st.uid, st.gid);
  } else if (st.isFile()) await linkOrCopy(abs, st, dest);
  // sockets, fifos and devices in a context are left out, as COPY leaves them
}

/** Builds the filtered view of `entry` (a directory in `root`) at `dest`, which must not exist. */
export async function makeFilteredView(root: SourceRoot, entry: SourceEntry, dest: string): Promise<void> {
  await walkSource(root, entry, async (rel, abs, st) => {
    await addNode(abs, st, rel === '' ? dest : join(dest, rel));
  });
}
