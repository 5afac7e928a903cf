#!/usr/bin/env node
// Checks the module dependency rule of docs/ARCHITECTURE.md: which module may import which, and
// that a module is entered only through its index.ts. A new edge is a decision: change the table
// here and in docs/ARCHITECTURE.md together.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = resolve(import.meta.dirname, '..', 'src');

/** module pattern -> modules it may import (besides itself). `core/*` means every core module. */
const rules = [
  ['base', []],
  ['sys', ['base']],
  ['oci', ['base']],
  ['api', ['base', 'oci', 'core/*']],
  ['core/content', ['base', 'oci']],
  ['core/mount', ['base', 'sys']],
  ['core/network', ['base', 'oci']],
  ['core/containers', ['base', 'oci', 'core/network']],
  ['core/snapshots', ['base', 'oci', 'core/mount']],
  ['core/images', ['base', 'oci', 'core/content']],
  ['core/diff', ['base', 'sys', 'oci', 'core/content', 'core/mount']],
  ['core/spec', ['base', 'oci', 'core/containers', 'core/mount']],
  ['core/runtime', ['base', 'oci', 'core/containers', 'core/mount']],
  ['core/volumes', ['base', 'core/containers', 'core/spec']],
  ['core/events', ['base']],
  ['core/distribution', ['base', 'oci']],
  ['core/metadata', ['base', 'oci', 'core/content', 'core/snapshots', 'core/images', 'core/containers', 'core/mount']],
  ['plugins/*', ['base', 'sys', 'oci', 'core/*']],
  ['services', ['base', 'oci', 'api', 'core/*']],
  ['builder', ['base', 'sys', 'oci', 'api', 'core/*', 'services']], // sys: flock(2) for cache-mount locks
  ['cli', ['base', 'oci', 'api']],
  // The remote engine: the Engine interface over the Docker Engine API (`--host`), like the CLI an edge of api.
  ['client', ['base', 'oci', 'api']],
  // The Engine API server: an edge over the api module's Engine, like the CLI.
  // sys: the native lane (a thread that accepts its unix sockets and answers `docker ps`).
  ['daemon', ['base', 'sys', 'oci', 'api']],
  ['cmd', ['*']],
  // Tests only: end-to-end tests driving bin/berth, and helpers shared by unit tests.
  ['e2e', ['*']],
  ['testing', ['base', 'sys', 'oci', 'core/*']],
];

function moduleOf(file) {
  const parts = relative(src, file).split('/');
  if (parts[0] === 'core' || parts[0] === 'plugins') return parts.length > 2 ? `${parts[0]}/${parts[1]}` : undefined;
  return parts.length > 1 ? parts[0] : undefined;
}

function allowed(from, to) {
  if (from === to) return true;
  const rule = rules.find(([pattern]) => pattern === from || (pattern.endsWith('/*') && from.startsWith(pattern.slice(0, -1))));
  if (!rule) return false;
  return rule[1].some((p) => p === '*' || p === to || (p.endsWith('/*') && to.startsWith(p.slice(0, -1))));
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const file of walk(src)) {
  const from = moduleOf(file);
  if (!from) {
    problems.push(`${relative(src, file)}: every file belongs to a module folder`);
    continue;
  }
  const isTest = file.endsWith('.test.ts');
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(importPattern)) {
    const spec = match[1] ?? match[2];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    const to = moduleOf(target);
    if (!to) {
      problems.push(`${relative(src, file)}: imports "${spec}" outside any module`);
      continue;
    }
    if (to === from) continue;
    if (to === 'testing' && !isTest && from !== 'e2e') problems.push(`${relative(src, file)}: module "testing" holds test helpers; only tests may import it`);
    if (!isTest && !allowed(from, to)) problems.push(`${relative(src, file)}: module "${from}" may not import "${to}" (docs/ARCHITECTURE.md, dependency rule)`);
    const depth = to.split('/').length;
    const inner = relative(join(src, to), target);
    if (inner !== 'index.ts' && !(isTest && depth > 0 && inner.includes('testsuite'))) {
      problems.push(`${relative(src, file)}: import "${spec}" reaches inside module "${to}"; import its index.js`);
    }
  }
}
// The table lists exactly the modules that exist: a rule for a missing folder is stale, a folder without a rule is undecided.
const folders = new Set();
for (const top of readdirSync(src)) {
  if (!statSync(join(src, top)).isDirectory()) continue;
  if (top === 'core' || top === 'plugins') {
    for (const sub of readdirSync(join(src, top))) if (statSync(join(src, top, sub)).isDirectory()) folders.add(`${top}/${sub}`);
  } else folders.add(top);
}
for (const [pattern] of rules) {
  if (pattern.endsWith('/*') ? ![...folders].some((f) => f.startsWith(pattern.slice(0, -1))) : !folders.has(pattern)) problems.push(`tools/check-layers.mjs: rule for "${pattern}", which does not exist`);
}
for (const folder of folders) {
  if (!rules.some(([pattern]) => pattern === folder || (pattern.endsWith('/*') && folder.startsWith(pattern.slice(0, -1))))) problems.push(`src/${folder}: a module without a rule in tools/check-layers.mjs`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`check-layers: ${problems.length} problem(s)`);
  process.exit(1);
}
