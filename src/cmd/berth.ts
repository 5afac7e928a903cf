/**
 * The berth CLI's composition root: the one place that chooses implementations (plugins) and
 * wires them into the services. Commands load lazily so that `berth run` starts fast.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

import { commands, runCli } from '../cli/index.js';
import { createCgroupScopes } from '../plugins/cgroups-fs/index.js';
import { createLocalContentStore, verifyBlob } from '../plugins/content-local/index.js';
import { createFsLeases, createFsMetadataStore } from '../plugins/metadata-fs/index.js';
import { createOciRuntime, selectRuntime } from '../plugins/runtime-oci/index.js';
import { createOverlaySnapshotter } from '../plugins/snapshotter-overlay/index.js';
import type { Engine, EngineContext, RuntimeSelection } from '../services/index.js';
import { createEngine } from '../services/index.js';
import { trace } from '../base/index.js';

export function openEngine(dir: string): Engine {
  trace('open engine');
  // One store, one runtime state directory, however the root was spelled (relative, symlinked).
  mkdirSync(dir, { recursive: true });
  const root = realpathSync.native(dir);
  const runtimes = new Map<string, RuntimeSelection>();
  // Runtime state lives on tmpfs (/run), one directory per store, so two stores never collide.
  const stateBase = join('/run/berth', createHash('sha256').update(root).digest('hex').slice(0, 12));
  const content = createLocalContentStore(join(root, 'content'));
  const ctx: EngineContext = {
    paths: { root, containers: join(root, 'containers') },
    content,
    snapshots: createOverlaySnapshotter(join(root, 'snapshots', 'overlay')),
    metadata: createFsMetadataStore(root),
    cgroups: createCgroupScopes('berth'),
    leases: createFsLeases(root),
    // The builder is loaded only when a collection runs.
    gcRoots: async () => (await import('../builder/index.js')).buildCacheRoots(root),
    runtime(name) {
      const key = name ?? '';
      let selection = runtimes.get(key);
      if (!selection) {
        const choice = selectRuntime(name);
        const runtimeName = choice.binary.split('/').pop() ?? 'runtime';
        const driver = createOciRuntime({ binary: choice.binary, stateDir: join(stateBase, runtimeName), logDir: join(stateBase, `${runtimeName}-logs`) });
        selection = choice.warning === undefined ? { driver } : { driver, warning: choice.warning };
        runtimes.set(key, selection);
      }
      return selection;
    },
    warn: (message) => process.stderr.write(`berth: warning: ${message}\n`),
  };
  const engine = createEngine(ctx, { verifyBlob: (digest) => verifyBlob(content, digest) });
  trace('engine open');
  return engine;
}



function version(): string {
  try {
    const path = ['../package.json', '../../package.json', '../../../package.json'].map((p) => new URL(p, import.meta.url)).find((u) => existsSync(u));
    return path ? (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version : 'unknown';
  } catch {
    return 'unknown';
  }
}

trace('cli: modules loaded');
void runCli(process.argv.slice(2), { openEngine, commands, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, version: version() })
  .then((code) => {
    trace('cli: done');
    process.exitCode = code;
  });
