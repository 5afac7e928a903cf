/**
 * The berth CLI's entry point: the CLI with the engine of open-engine.ts. Commands load lazily so
 * that `berth run` starts fast.
 */
import { existsSync, readFileSync } from 'node:fs';

import { trace } from '../base/index.js';
import { openRemoteEngine } from '../client/index.js';
import { commands, hiddenCommands, managementCommands, runCli } from '../cli/index.js';
import { openEngine } from './open-engine.js';

function version(): string {
  try {
    const path = ['../package.json', '../../package.json', '../../../package.json'].map((p) => new URL(p, import.meta.url)).find((u) => existsSync(u));
    return path ? (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version : 'unknown';
  } catch {
    return 'unknown';
  }
}

trace('cli: modules loaded');
// `daemon` joins the CLI to src/daemon, which the cli module may not import: it is added here.
const allCommands = { ...commands, daemon: async () => (await import('./daemon-command.js')).daemonCommand };

void runCli(process.argv.slice(2), {
  openEngine,
  openRemoteEngine,
  commands: allCommands,
  hiddenCommands,
  managementCommands,
  // Read only by the commands that use them: process.stdin builds its stream (fs/net streams, a tty)
  // on first use, 3-6 ms; the version reads package.json.
  get stdin() {
    return process.stdin;
  },
  stdout: process.stdout,
  stderr: process.stderr,
  get version() {
    return version();
  },
})
  .then((code) => {
    trace('cli: done');
    process.exitCode = code;
  });
