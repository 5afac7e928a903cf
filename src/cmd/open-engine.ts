/**
 * openEngine: the in-process engine on a store root, with the implementations (plugins) chosen
 * here and nowhere else. The CLI and the daemon entry point both open their engine with it;
 * importing it starts nothing.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { trace } from '../base/index.js';
import { sha256Hex, spawnWithChannel } from '../sys/index.js';
import type { Engine } from '../api/index.js';
import { createCgroupScopes } from '../plugins/cgroups-fs/index.js';
import { createLocalContentStore, verifyBlob } from '../plugins/content-local/index.js';
import { createFsLeases, createFsMetadataStore } from '../plugins/metadata-fs/index.js';
import { createOciRuntime, defaultRuntimeConditions, selectRuntime } from '../plugins/runtime-oci/index.js';
import { createOverlaySnapshotter } from '../plugins/snapshotter-overlay/index.js';
import { createLocalVolumeStore } from '../plugins/volumes-local/index.js';
import { createLocalNetworkStore } from '../plugins/networks-local/index.js';
import { createNetavarkDriver } from '../plugins/network-netavark/index.js';
import { createLocalEventLog } from '../plugins/events-local/index.js';
import type { EngineContext, RuntimeSelection } from '../services/index.js';
import { createEngine } from '../services/index.js';

export interface OpenEngineOptions {
  /** Where warnings that belong to no operation go (default: stderr). */
  warn?: (message: string) => void;
}

/** The berth checkout (bin/berth, build/Release): code runs from dist/cmd (tests) or dist/bundle (the CLI). */
const checkout = (() => {
  for (let dir = import.meta.dirname, i = 0; i < 5; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'berth')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  return resolve(import.meta.dirname, '../..');
})();

export function openEngine(dir: string, options: OpenEngineOptions = {}): Engine {
  trace('open engine');
  // One store, one runtime state directory, however the root was spelled (relative, symlinked).
  mkdirSync(dir, { recursive: true });
  const root = realpathSync.native(dir);
  const runtimes = new Map<string, RuntimeSelection>();
  // Runtime state lives on tmpfs (/run), one directory per store, so two stores never collide.
  // Named when first needed (sha256Hex: through the addon, node:crypto is not loaded for it).
  let base: string | undefined;
  const stateBase = () => (base ??= join('/run/berth', sha256Hex(root).slice(0, 12)));
  const content = createLocalContentStore(join(root, 'content'));
  const ctx: EngineContext = {
    paths: { root, containers: join(root, 'containers') },
    content,
    snapshots: createOverlaySnapshotter(join(root, 'snapshots', 'overlay')),
    metadata: createFsMetadataStore(root),
    volumes: createLocalVolumeStore(root),
    // Subnets, bridge names and host ports are claimed host-wide, across stores, on /run.
    networks: createLocalNetworkStore(root, '/run/berth/network-claims'),
    networkDriver: createNetavarkDriver({
      get netnsDir() {
        return join(stateBase(), 'netns');
      },
      get configDir() {
        return join(stateBase(), 'netavark');
      },
    }),
    cgroups: createCgroupScopes('berth'),
    leases: createFsLeases(root),
    // The builder is loaded only by a build, a bootstrap or a collection.
    builder: async () => (await import('../builder/index.js')).builder,
    // The registry client (node:http/https) is loaded only by pull and push.
    registry: async (domain, options) => (await import('../plugins/registry-http/index.js')).createHttpRegistryClient(domain, options?.credentials !== undefined ? { credentials: options.credentials } : {}),
    runtime(name) {
      const key = name ?? '';
      let selection = runtimes.get(key);
      if (!selection) {
        const choice = selectRuntime(name);
        const runtimeName = choice.binary.split('/').pop() ?? 'runtime';
        // Compiled seccomp filters are kept beside the store's runtime state (plugins/runtime-oci/seccomp-filters.ts).
        const driver = createOciRuntime({
          binary: choice.binary,
          get stateDir() {
            return join(stateBase(), runtimeName);
          },
          get logDir() {
            return join(stateBase(), `${runtimeName}-logs`);
          },
        });
        selection = choice.warning === undefined ? { driver } : { driver, warning: choice.warning };
        if (name === undefined) selection.conditions = defaultRuntimeConditions;
        runtimes.set(key, selection);
      }
      return selection;
    },
    monitor: {
      binary: join(checkout, 'build', 'Release', 'berth-monitor'),
      berth: [process.execPath, '--', join(checkout, 'bin', 'berth.cjs'), '--root', root],
      // posix_spawn: child_process forks the whole CLI to start each monitor.
      spawn: spawnWithChannel,
    },
    warn: options.warn ?? ((message) => void process.stderr.write(`berth: warning: ${message}\n`)),
  };
  ctx.events = createLocalEventLog(join(root, 'events'), { warn: ctx.warn });
  const engine = createEngine(ctx, { verifyBlob: (digest) => verifyBlob(content, digest) });
  trace('engine open');
  return engine;
}
