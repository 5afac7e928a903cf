/**
 * Extracting a tar (`cp`'s archives) into a directory of a root filesystem that processes may be
 * changing meanwhile: a running container's root, or a host directory a container's archive is
 * copied to. Every write goes through directory fds of the root (sys/in-root.ts, as the builder's
 * COPY writes): parents are created and resolved with the root as `/`, each final name is
 * created with *at calls and O_NOFOLLOW | O_EXCL. So an entry can never create, change or
 * remove anything outside the root, whatever symlinks the root holds, the archive makes, or a
 * process swaps in; and, as Docker refuses them, entry names and hard-link targets that climb out
 * of the destination directory with `..` are refused (CP_PATH_ESCAPE).
 */
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';

import { cleanEntryPath, errnoCode, errors, isBerthError } from '../../base/index.js';
import {
  AT_EMPTY_PATH, O_PATH, lchownAt, linkAt, lstatAt, lutimesAt, mkdirInRoot, mkdirat, openDirInRoot, openInRootDir, openRootDir, removeAllAt, symlinkAt,
} from '../../sys/index.js';
import type { EntrySink } from './apply-layer.js';
import { feedTar } from './apply-layer.js';
import type { LayerEntry } from './unpacker.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, S_IFMT, S_IFDIR } = constants;

export interface ExtractOptions {
  /**
   * Owner of everything written: 'keep' the archive's uid/gid, or one uid/gid for every entry
   * (and for parent directories the extraction creates, which are otherwise 0:0).
   */
  owner: 'keep' | { uid: number; gid: number };
  /** How errors name the archive (`archive for "web:/tmp"`). */
  name: string;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /**
   * Let an entry replace a directory with a non-directory or the reverse (removing what was
   * there), as the Engine API's archive upload does without `noOverwriteDirNonDir`.
   */
  overwriteDirNonDir?: boolean;
}

function escape(name: string, what: string): Error {
  return errors.invalidArgument('CP_PATH_ESCAPE', `Cannot extract "${name}": its ${what} leads outside the destination directory`);
}

/** Writes entries under `dest` through fds of the root; see the module comment. */
class RootExtractor implements EntrySink {
  readonly #rootFd: number;
  readonly #dest: string;
  readonly #options: ExtractOptions;
  readonly #dirTimes: { path: string; atime: number; mtime: number }[] = [];

  constructor(rootFd: number, dest: string, options: ExtractOptions) {
    this.#rootFd = rootFd;
    this.#dest = dest;
    this.#options = options;
  }

  #owner(entry: LayerEntry): { uid: number; gid: number } {
    return this.#options.owner === 'keep' ? { uid: entry.uid, gid: entry.gid } : this.#options.owner;
  }

  async entry(entry: LayerEntry, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = cleanEntryPath(entry.name);
    if (parts === undefined) throw escape(entry.name, 'path');
    const name = parts.at(-1);
    // The destination directory itself (`./`): Docker leaves its metadata as it is.
    if (name === undefined) return;
    const path = posix.join(this.#dest, ...parts);
    const device = entry.type === 'character-device' || entry.type === 'block-device' || entry.type === 'fifo';
    if (device) {
      this.#options.onWarning?.(`Skipped ${entry.type ?? 'device'} "${entry.name}": berth does not create device nodes or fifos when copying`);
      return;
    }
    if (!['file', 'contiguous-file', 'directory', 'symlink', 'link'].includes(entry.type ?? '')) {
      this.#options.onWarning?.(`Skipped "${entry.name}": tar entry type "${entry.type ?? 'unknown'}" is not supported`);
      return;
    }
    const owner = this.#owner(entry);
    const parentOwner = this.#options.owner === 'keep' ? { uid: 0, gid: 0 } : this.#options.owner;
    const dirFd = mkdirInRoot(this.#rootFd, posix.dirname(path), { ...parentOwner, notDirCode: 'CP_NOT_A_DIRECTORY' });
    try {
      let existing = lstatAt(dirFd, name);
      const isDir = existing !== null && (existing & S_IFMT) === S_IFDIR;
      // Docker's cp never replaces a directory by a non-directory or the reverse; the API may ask to.
      if (existing !== null && isDir !== (entry.type === 'directory') && this.#options.overwriteDirNonDir === true) {
        removeAllAt(dirFd, name);
        existing = null;
      }
      if (existing !== null && isDir !== (entry.type === 'directory')) {
        throw errors.failedPrecondition('CP_TYPE_CONFLICT', isDir
          ? `Cannot overwrite directory "${path}" with non-directory "${entry.name}"`
          : `Cannot overwrite non-directory "${path}" with directory "${entry.name}"`);
      }
      switch (entry.type) {
        case 'directory': {
          if (existing === null) mkdirat(dirFd, name, 0o700);
          const fd = openInRootDir(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
          try {
            fchownSync(fd, owner.uid, owner.gid);
            fchmodSync(fd, entry.mode);
          } finally {
            closeSync(fd);
          }
          this.#dirTimes.push({ path, atime: entry.atime, mtime: entry.mtime });
          break;
        }
        case 'file':
        case 'contiguous-file': {
          if (existing !== null) removeAllAt(dirFd, name);
          const fd = openInRootDir(dirFd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
          try {
            for await (const chunk of body) {
              for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
            }
            fchownSync(fd, owner.uid, owner.gid);
            fchmodSync(fd, entry.mode); // after fchown, which clears setuid bits
            futimesSync(fd, entry.atime, entry.mtime);
          } finally {
            closeSync(fd);
          }
          break;
        }
        case 'symlink':
          if (entry.linkname === '') throw errors.invalidArgument('CP_INVALID_ENTRY', `Cannot extract "${entry.name}": symlink has no target`);
          if (existing !== null) removeAllAt(dirFd, name);
          // The target is stored as it is: writes through it are resolved inside the root.
          symlinkAt(entry.linkname, dirFd, name);
          lchownAt(dirFd, name, owner.uid, owner.gid);
          lutimesAt(dirFd, name, entry.atime * 1000, entry.mtime * 1000);
          break;
        case 'link': {
          const target = cleanEntryPath(entry.linkname);
          if (target === undefined || target.length === 0) throw escape(entry.name, `hard link target "${entry.linkname}"`);
          let targetFd: number;
          try {
            targetFd = openInRootDir(this.#rootFd, posix.join(this.#dest, ...target), O_PATH | O_NOFOLLOW);
          } catch (err) {
            if (errnoCode(err) !== 'ENOENT' && errnoCode(err) !== 'ENOTDIR') throw err;
            throw errors.invalidArgument('CP_LINK_TARGET_MISSING', `Cannot extract "${entry.name}": hard link target "${entry.linkname}" does not exist`);
          }
          try {
            if (existing !== null) removeAllAt(dirFd, name);
            linkAt(targetFd, '', dirFd, name, AT_EMPTY_PATH);
          } catch (err) {
            if (errnoCode(err) === 'EPERM') throw errors.invalidArgument('CP_LINK_TO_DIRECTORY', `Cannot extract "${entry.name}": hard link target "${entry.linkname}" is a directory`);
            throw err;
          } finally {
            closeSync(targetFd);
          }
          break;
        }
      }
    } catch (err) {
      if (isBerthError(err) || errnoCode(err) === undefined) throw err;
      throw errors.unknown('CP_EXTRACT_FAILED', `Cannot extract "${entry.name}" to "${path}": ${(err as Error).message}`, { cause: err });
    } finally {
      closeSync(dirFd);
    }
  }

  /** Directory times last, so entries written into a directory do not change its mtime. */
  finish(): void {
    for (const { path, atime, mtime } of this.#dirTimes.reverse()) {
      const fd = openDirInRoot(this.#rootFd, path);
      if (fd === undefined) continue;
      try {
        futimesSync(fd, atime, mtime);
      } finally {
        closeSync(fd);
      }
    }
  }
}

/**
 * Extracts the tar `input` (plain or gzip) into the directory `dest` of the root directory
 * `root` (both as `cp` sees them: `dest` inside the root, symlinks on the way resolved inside
 * it). Existing files are replaced, existing directories merged; a directory never replaces a
 * non-directory or the reverse (CP_TYPE_CONFLICT). Device nodes and fifos are skipped with a
 * warning. Errors: NotFound CP_DEST_NOT_FOUND (no directory `dest`), InvalidArgument
 * CP_PATH_ESCAPE, CP_LINK_TARGET_MISSING, CP_LINK_TO_DIRECTORY, CP_INVALID_ENTRY;
 * FailedPrecondition CP_TYPE_CONFLICT, CP_NOT_A_DIRECTORY; DataLoss LAYER_CORRUPT (a truncated
 * or corrupt tar). What was extracted before an error stays.
 */
export async function extractInRoot(input: Readable, root: string, dest: string, options: ExtractOptions): Promise<void> {
  const rootFd = openRootDir(root);
  try {
    const destFd = openDirInRoot(rootFd, dest);
    if (destFd === undefined) throw errors.notFound('CP_DEST_NOT_FOUND', `Cannot extract ${options.name}: no directory "${dest}"`);
    closeSync(destFd);
    const extractor = new RootExtractor(rootFd, dest, options);
    await feedTar(input, extractor, { layerName: options.name, ...(options.signal ? { signal: options.signal } : {}) });
  } finally {
    closeSync(rootFd);
  }
}
