import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode } from '../../base/index.js';
import type { Lease, LeaseManager } from '../../core/metadata/index.js';
import { flock, LOCK_EX, LOCK_NB, LOCK_SH } from '../../sys/index.js';

/**
 * Leases as flock(2) on `<root>/metadata/gc.lock`: a lease is a shared lock on its own open file
 * description, the collector takes an exclusive one with LOCK_NB. The kernel drops the locks of a
 * process that dies, so a killed import or build never blocks collection for good.
 */
export function createFsLeases(root: string): LeaseManager {
  const path = join(root, 'metadata', 'gc.lock');
  const open = (): number => {
    try {
      return openSync(path, 'a', 0o600);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      mkdirSync(join(root, 'metadata'), { recursive: true });
      return openSync(path, 'a', 0o600);
    }
  };
  const lease = (fd: number): Lease => {
    let held = true;
    return {
      release() {
        if (held) closeSync(fd);
        held = false;
      },
    };
  };
  return {
    acquire() {
      const fd = open();
      try {
        flock(fd, LOCK_SH);
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      return lease(fd);
    },
    tryCollect() {
      const fd = open();
      try {
        flock(fd, LOCK_EX | LOCK_NB);
        return lease(fd);
      } catch (err) {
        closeSync(fd);
        if (errnoCode(err) === 'EAGAIN' || errnoCode(err) === 'EWOULDBLOCK') return undefined;
        throw err;
      }
    },
  };
}
