import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const source = resolve(import.meta.dirname, '../../tools/syscall-probe.c');
let built: string | undefined;

/**
 * A directory holding `syscall-probe` (tools/syscall-probe.c), built static once per process:
 * mount it into a container (`-v DIR:/probe:ro`) and run `/probe/syscall-probe keyctl ...`.
 */
export function syscallProbeDir(): string {
  if (built === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'berth-probe-'));
    const cc = spawnSync('cc', ['-static', '-O2', '-o', join(dir, 'syscall-probe'), source]);
    if (cc.status !== 0) throw new Error(`building syscall-probe failed: ${cc.stderr.toString()}`);
    built = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return built;
}
