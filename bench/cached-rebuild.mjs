#!/usr/bin/env node
// Fully cached rebuilds, berth against Docker in the same run (issue 13, "Performance": <= 1.0x
// Docker's). The context and Dockerfile are bench/build.mjs's (examples/python-native/libaddr plus
// the generated C library, two stages), on the same mmdebstrap base (cached under
// /var/cache/berth-bench by bench/build.mjs). Each engine builds it once (untimed), then the same
// command runs --iterations times, interleaved, nothing changed; each sample is spawn to exit.
// Docker is the shared reference dockerd (tools/reference-dockerd.sh start: idempotent; it is
// never stopped here, and its build cache never pruned: other work may use it; the images built on
// this run's import of the base are removed at the end), timed twice:
// with BuildKit (DOCKER_BUILDKIT=1, as bench/build.mjs does) and with the legacy builder
// (DOCKER_BUILDKIT=0). Plain Node ESM, no dependencies. Run as root, after `npm run build`:
//   node bench/cached-rebuild.mjs [--iterations 20] [--gen-files 120] [--no-docker] [--json]
// Exit 0 whenever a report was produced, 1 when the set-up failed, 2 for bad arguments.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { berthBin, berthStore, cleanups, dockerCli, fmt, interleaved, log, machine, machineLine, must, parseArgs, repo, runMain, sharedReferenceDocker, table, workDir } from './lib.mjs';
import { buildBaseImage as baseImage, cachedDebianBuildBase, generateContext } from './build-context.mjs';

const outImage = 'bench/cached-out:1';
const targetRatio = 1.0;

const opts = parseArgs(process.argv.slice(2), {
  usage: 'node bench/cached-rebuild.mjs [--iterations N] [--gen-files N] [--no-docker] [--json]',
  defaults: { iterations: 20, genFiles: 120, docker: true, json: false },
  options: {
    '--iterations': { key: 'iterations', int: 1 }, '--gen-files': { key: 'genFiles', int: 0 },
    '--no-docker': { key: 'docker', set: false }, '--json': { key: 'json', set: true },
  },
});

const buildArgs = (ctx) => ['build', '--network', 'none', '--progress', 'plain', '-t', outImage, ctx];

/** Throws unless the build's output says it was cached. */
function mustBeCached(c, r) {
  if (!/CACHED|Using cache/.test(`${r.stdout}${r.stderr}`)) throw new Error(`${c.cmd} build was not cached:\n${`${r.stdout}${r.stderr}`.slice(-2000)}`);
}

async function main() {
  const tar = cachedDebianBuildBase();
  const tmp = workDir(path.join(os.tmpdir(), 'berth-bench-cached-'));
  const ctx = path.join(tmp, 'ctx');
  const description = generateContext(ctx, { repo, baseImage, genFiles: opts.genFiles });
  // The store's runtime state on /run goes with it (as the e2e harness's stores' does).
  const berthEnv = berthStore(path.join(tmp, 'store')).env;
  log(`berth: importing ${tar} and priming the cache (one cold build)`);
  must(berthBin, ['import', tar, baseImage], { env: berthEnv });
  must(berthBin, buildArgs(ctx), { env: berthEnv });
  const candidates = [{ key: 'berth', name: 'berth build, fully cached', cmd: berthBin, args: buildArgs(ctx), env: berthEnv }];
  let dockerVersion = 'not measured';
  if (opts.docker) {
    const ref = sharedReferenceDocker();
    if (ref.skipped) throw new Error(ref.skipped);
    const env = ref.env;
    dockerVersion = ref.version;
    log('docker: importing the base and priming both builders\' caches (one cold build each)');
    const baseId = must(dockerCli, ['import', tar, baseImage], { env }).trim();
    // Everything built on this import is this run's (the legacy builder leaves the first stage's image untagged): removed, base last.
    // (An image BuildKit made names no parent: it is told by its base layer, the import's one, and it came after the import.)
    const importedAt = Date.now() - 1000;
    const baseLayer = must(dockerCli, ['image', 'inspect', '-f', '{{index .RootFS.Layers 0}}', baseId], { env }).trim();
    cleanups.push(() => {
      const ids = spawnSync(dockerCli, ['images', '-aq', '--no-trunc'], { env, encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      const builtOnIt = (id) => {
        if (spawnSync(dockerCli, ['history', '-q', '--no-trunc', id], { env, encoding: 'utf8' }).stdout.includes(baseId)) return true;
        const [layer, created] = spawnSync(dockerCli, ['image', 'inspect', '-f', '{{index .RootFS.Layers 0}} {{.Created}}', id], { env, encoding: 'utf8' }).stdout.trim().split(' ');
        return layer === baseLayer && Date.parse(created ?? '') >= importedAt;
      };
      const ours = [...new Set(ids)].filter((id) => id !== baseId && builtOnIt(id));
      if (ours.length > 0) spawnSync(dockerCli, ['rmi', '-f', ...ours], { env, stdio: 'ignore' });
      spawnSync(dockerCli, ['rmi', '-f', baseId], { env, stdio: 'ignore' });
    });
    // The legacy builder knows no --progress.
    const legacyArgs = buildArgs(ctx).filter((a) => !['--progress', 'plain'].includes(a));
    must(dockerCli, buildArgs(ctx), { env: { ...env, DOCKER_BUILDKIT: '1' } });
    must(dockerCli, legacyArgs, { env: { ...env, DOCKER_BUILDKIT: '0' } });
    candidates.push(
      { key: 'docker-buildkit', name: 'docker build, fully cached (BuildKit)', cmd: dockerCli, args: buildArgs(ctx), env: { ...env, DOCKER_BUILDKIT: '1' } },
      { key: 'docker-legacy', name: 'docker build, fully cached (DOCKER_BUILDKIT=0)', cmd: dockerCli, args: legacyArgs, env: { ...env, DOCKER_BUILDKIT: '0' } },
    );
  }
  const measured = await interleaved(candidates, {
    iterations: opts.iterations, progress: opts.json ? undefined : '', failFast: true, output: true, tail: 10, timeout: 600_000, onRun: mustBeCached,
  });
  const rows = candidates.map((c) => ({ key: c.key, ...measured.rows[c.key] }));
  const berth = rows[0].median;
  const ratios = Object.fromEntries(rows.slice(1).map((r) => [r.key, berth / r.median]));
  const report = { machine: machine(), context: description, docker: dockerVersion, iterations: opts.iterations, rows, ratios };
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const m = report.machine;
  const lines = [
    `${machineLine(m)}; node ${m.node}; load ${m.loadavg.join(' ')}`,
    `context: ${description}`,
    `docker: ${dockerVersion}`,
    `fully cached rebuilds, ${opts.iterations} interleaved rounds (ms):`,
    ...table(rows, { width: 48, valueWidth: 8 }),
    ...Object.entries(ratios).map(([k, ratio]) => `  ${ratio <= targetRatio ? 'PASS' : 'FAIL'}  berth / ${k} median: ${fmt(ratio, 2)}x (target <= ${targetRatio}x)`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

await runMain(main, { prefix: 'failed' });
