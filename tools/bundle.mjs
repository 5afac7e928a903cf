#!/usr/bin/env node
// Bundles the CLI into dist/bundle/ with esbuild: one file for the hot path (`berth run`) and
// lazily loaded chunks for the rest, so startup parses only what a command needs. Type checking
// and tests use tsc's per-file output in dist/; this is only about start-up time.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
await rm(resolve(root, 'dist/bundle'), { recursive: true, force: true });
await build({
  entryPoints: { berth: resolve(root, 'src/cmd/berth.ts') },
  outdir: resolve(root, 'dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  logLevel: 'warning',
});
