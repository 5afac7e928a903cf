/**
 * The exec template: what the native `berth exec` fast path (native/berth_exec.c) needs to run a
 * process in a container exactly as services/container-exec.ts would, without Node. Written by
 * `start` beside config.json, as lines: a magic line, the runtime binary, its --root, its log
 * directory, and the container's OCI process (JSON on one line) without `args` and `terminal`,
 * which the fast path puts first. The fast path handles only execs that change nothing else in
 * the process (no -e, -w, -u, --privileged); keep the two in step when container-exec.ts changes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { RuntimeDriver } from '../core/runtime/index.js';
import type { Spec } from '../oci/index.js';

export const execTemplateMagic = 'berth-exec-template 1';

/** Writes the template of the bundle whose config.json holds `spec` (as the start just wrote it: not read back). */
export function writeExecTemplate(bundle: string, driver: RuntimeDriver, spec: Spec): void {
  const { args: _args, terminal: _terminal, ...process } = spec.process ?? {};
  const binary = driver.commandLine[0] ?? '';
  const lines = [execTemplateMagic, binary, driver.stateDir, driver.logDir, JSON.stringify(process)];
  // The fast path reads lines: a path with a newline (or a relative binary) leaves it to Node.
  if (lines.slice(1, 4).some((l) => l.includes('\n')) || !binary.startsWith('/')) return;
  writeFileSync(join(bundle, 'exec-template'), `${lines.join('\n')}\n`);
}
