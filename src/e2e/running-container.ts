/**
 * Helpers for end-to-end tests of running containers: a foreground `berth run` in the
 * background (until detached containers exist), and reads of a container's cgroup files from
 * the host on cgroup v1 (one hierarchy per controller) and v2.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

import type { Store } from './harness.js';

export interface Running {
  name: string;
  id: string;
  child: ChildProcess;
  /** What the container printed so far. */
  output(): string;
  /** Resolves with berth's exit code once it exits. */
  exited: Promise<number>;
}

/** Starts `berth run --name NAME ...args` in the background and waits until `ps` lists it running. */
export async function runInBackground(store: Store, name: string, args: string[]): Promise<Running> {
  const child = store.spawnBerth(['run', '--name', name, ...args]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  for (let i = 0; i < 400; i++) {
    const ps = store.berth(['ps', '--no-trunc', '--format', '{{.Names}} {{.ID}}']).stdout;
    const line = ps.split('\n').find((l) => l.startsWith(`${name} `));
    if (line !== undefined) return { name, id: line.split(' ')[1] ?? '', child, output: () => out, exited };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`container ${name} did not start: ${out}`);
}

const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');

/**
 * A file of the container's cgroup, read on the host: `v1` is [controller, file] (its own
 * hierarchy), `v2File` the unified name. Trimmed.
 */
export function cgroupValue(id: string, v1: [string, string], v2File: string): string {
  const path = v2 ? `/sys/fs/cgroup/berth/${id}/ctr/${v2File}` : `/sys/fs/cgroup/${v1[0]}/berth/${id}/ctr/${v1[1]}`;
  return readFileSync(path, 'utf8').trim();
}

export const cgroupV2 = v2;
