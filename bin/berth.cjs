#!/usr/bin/env -S node --
// The `--` above ends Node's own options: Node 20 scans its whole argv for `--env-file FILE`
// (before any script runs: a user's `berth run --env-file app.env` would load app.env's
// NODE_OPTIONS into berth itself, or make Node exit on a missing file) and stops only at `--`.
// `env -S` (coreutils 8.30+) splits the shebang's one argument into `node` and `--`.
// The Node side of the berth command: bin/berth (a shell script) starts it as
// `node -- bin/berth.cjs`. The code is one CommonJS bundle, dist/bundle/berth.cjs, built by
// `npm run build` (./scripts/setup.sh does that). It is compiled with V8 code caches kept beside
// it: start-up time is a feature (`berth run` is on a budget), and compiling the bundle from
// source on every invocation cost 10-20 ms here. There is one cache per command (three for
// `run`: attached, --rm, -d), written once, after the first run of that command has compiled what
// it needs: V8 compiles functions lazily, so a cache written by `berth --version` would leave
// `berth run` compiling its own code every time (20 ms measured). A cache's name carries the
// bundle's size and mtime and Node's version, so a rebuilt bundle or another Node never reads a
// stale one; writing a cache removes those of other builds.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

// bin/berth moved NODE_EXTRA_CA_CERTS aside so that Node would not parse those certificates at
// start-up (src/base/extra-ca.ts trusts them where berth opens TLS connections): back into the
// environment, for the processes berth starts and for `-e NODE_EXTRA_CA_CERTS`.
if (process.env.BERTH_NODE_EXTRA_CA_CERTS && process.env.NODE_EXTRA_CA_CERTS === undefined) {
  process.env.NODE_EXTRA_CA_CERTS = process.env.BERTH_NODE_EXTRA_CA_CERTS;
}
const file = path.join(__dirname, '..', 'dist', 'bundle', 'berth.cjs');
let source;
let stat;
try {
  stat = fs.statSync(file);
  // The bundle is ASCII (src/e2e/startup-modules.test.ts holds it so): read as latin1, the same
  // string without UTF-8 decoding (2 ms for 1.4 MB, where utf8 took 3-3.5 ms).
  source = fs.readFileSync(file, 'latin1');
} catch (err) {
  if (err && err.code === 'ENOENT') {
    process.stderr.write('berth: not built yet: run ./scripts/setup.sh (or npm ci && npm run build) in the berth checkout\n');
    process.exit(125);
  }
  throw err;
}
// The command: the first word after the global options (`--root DIR` takes a value).
let command = 'none';
let commandAt = process.argv.length;
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  if (arg === '--root') i++;
  else if (!arg.startsWith('-')) {
    command = /^[a-z][a-z-]{0,30}$/.test(arg) ? arg : 'other';
    commandAt = i;
    break;
  }
}
// `berth run` runs different code in its three shapes: attached, attached with --rm (the removal
// after the exit), detached (-d). One cache for each: a cache written by the first shape run after
// a build left the others compiling their own functions on every run (`run --rm` after a plain
// `run`: 1.5 ms more CPU per run, measured). Read from the whole command line: a `-d` of the
// container's own command picks another cache, nothing more.
if (command === 'run') {
  const rest = process.argv.slice(commandAt + 1);
  if (rest.some((a) => a === '--detach' || a === '--detach=true' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(a))) command = 'run-d';
  else if (rest.some((a) => a === '--rm' || a === '--rm=true')) command = 'run-rm';
}
const build = `${path.basename(file)}.${stat.size}-${Math.trunc(stat.mtimeMs)}-${process.version}.`;
const cacheFile = path.join(path.dirname(file), `${build}${command}.v8cache`);
let cachedData;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch (err) {
  if (!err || err.code !== 'ENOENT') throw err;
}
// tools/bundle.mjs writes the bundle already inside the module wrapper (no 1.4 MB concatenation
// to flatten here); an older build's bare bundle is wrapped as Node would.
const wrapped = source.startsWith(Module.wrapper[0]) ? source : Module.wrap(source);
const script = new vm.Script(wrapped, { filename: file, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', () => {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
      // The caches of another build (another Node: npm run build empties dist/bundle) go.
      for (const name of fs.readdirSync(path.dirname(file))) {
        if (name.endsWith('.v8cache') && name.startsWith(`${path.basename(file)}.`) && !name.startsWith(build)) {
          fs.rmSync(path.join(path.dirname(file), name), { force: true });
        }
      }
    } catch (err) {
      // Only an optimisation: a read-only or full checkout just starts without it.
      if (!err || !['EACCES', 'EPERM', 'EROFS', 'ENOSPC'].includes(err.code)) throw err;
    }
  });
}
const mod = { exports: {}, filename: file, id: file };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
