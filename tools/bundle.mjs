#!/usr/bin/env node
// Bundles the CLI with esbuild into one CommonJS file, dist/bundle/berth.cjs, started by
// bin/berth. CommonJS because Node 20's ES module loader costs a CLI dearly at start-up (about
// 4 ms just to import node:crypto through it, ~30 ms for berth's module graph, against ~23 ms as
// one CommonJS file); code behind dynamic import() is bundled as lazily evaluated closures, so a
// command still runs only its own code. Type checking and tests use tsc's per-file output in dist/.
// Node builtins a command may never use (node:crypto, zlib, child_process, ...) are required on
// first use, not when the module that imports them is initialised, and the file is ASCII (read into
// a one-byte string): tools/lazy-builtins.mjs.
import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { asciiOnly, lazyRequireHelper, makeBuiltinsLazy } from './lazy-builtins.mjs';
import Module from 'node:module';

/** Node's CommonJS wrapper, as Module.wrap writes it (bin/berth.cjs checks for its first part). */
const moduleWrapper = Module.wrapper;

const root = resolve(import.meta.dirname, '..');
const outfile = resolve(root, 'dist/bundle/berth.cjs');
await rm(resolve(root, 'dist/bundle'), { recursive: true, force: true });
const result = await build({
  entryPoints: [resolve(root, 'src/cmd/berth.ts')],
  outfile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // The sources are ES modules; give them what import.meta provides, from CommonJS.
  define: { 'import.meta.dirname': '__dirname', 'import.meta.url': '__berthImportMetaUrl' },
  banner: { js: `const __berthImportMetaUrl = require('node:url').pathToFileURL(__filename).href;\n${lazyRequireHelper}` },
  logLevel: 'warning',
  write: false,
});
await mkdir(dirname(outfile), { recursive: true });
const { text, kept } = asciiOnly(makeBuiltinsLazy(result.outputFiles[0].text));
if (kept.length > 0) console.warn(`bundle: not ASCII (slower start-up), characters left unescaped: ${kept.slice(0, 5).join(', ')}`);
// Written inside CommonJS's module wrapper, which bin/berth.cjs would otherwise add itself: a
// string concatenation V8 then flattens, 1.4 MB copied on every start (~1 ms).
await writeFile(outfile, `${moduleWrapper[0]}${text}${moduleWrapper[1]}`);
