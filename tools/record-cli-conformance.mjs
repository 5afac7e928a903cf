#!/usr/bin/env node
// Records the CLI conformance table (issue 10) from the real docker CLI and the reference dockerd:
//   npm run build                      # the table and the masks are src/e2e/cli-conformance-table.ts
//   tools/reference-dockerd.sh start   # shared with other sessions: this script never stops it
//   tools/record-cli-conformance.mjs   # writes test/fixtures/cli/*.json
// It builds the scene of src/e2e/cli-conformance-table.ts (names cf-*, berthconf/*, label berthconf),
// runs each command line of the table, masks the output (the masks are documented there) and writes
// per group {client, server, recorded, cases: [{id, command, stdout, stderr, exitCode}]}, plus
// inspect-shapes.json: the key paths (and JSON types) of `inspect` of the scene's containers and images.
// The scene is removed at the end; other sessions' objects on the daemon are never touched.
//
// DOCKER_CLI chooses the client (default /usr/local/bin/docker, the 28 CLI: the `docker` first on
// PATH, the client the --format fixtures were recorded with, and the management commands issue 10
// asks for are Docker 28's); the daemon is always the reference dockerd 20.10.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const repo = resolve(dirname(new URL(import.meta.url).pathname), '..');
const table = await import(join(repo, 'dist/e2e/cli-conformance-table.js'));
const { busyboxRootfsTar } = await import(join(repo, 'dist/testing/index.js'));

const envText = spawnSync(join(repo, 'tools/reference-dockerd.sh'), ['env']).stdout.toString();
const dockerHost = /DOCKER_HOST=(\S+)/.exec(envText)?.[1];
if (!dockerHost) throw new Error('record-cli-conformance: tools/reference-dockerd.sh env gave no DOCKER_HOST');
const docker = process.env.DOCKER_CLI ?? '/usr/local/bin/docker';
const env = { ...process.env, DOCKER_HOST: dockerHost, DOCKER_CLI_HINTS: 'false' };

/** @type {(args: readonly string[], input?: Buffer) => {code: number, stdout: string, stderr: string}} */
const run = (args, input) => {
  const r = spawnSync(docker, args, { env, input: input ?? '', timeout: 120_000, maxBuffer: 64 << 20 });
  return { code: r.status ?? 128, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};

if (run(['info']).code !== 0) {
  console.error('record-cli-conformance: the reference dockerd does not answer; run tools/reference-dockerd.sh start');
  process.exit(1);
}
const teardown = () => table.teardownScene(run);
const dataRoot = run(['info', '--format', '{{.DockerRootDir}}']).stdout.trim();
const roots = [dataRoot, '/run/berth-ref-docker'];
const client = run(['version', '--format', '{{.Client.Version}}']).stdout.trim();
const server = run(['version', '--format', '{{.Server.Version}}']).stdout.trim();
const out = join(repo, 'test/fixtures/cli');
mkdirSync(out, { recursive: true });

teardown();
try {
  const ctx = table.buildScene(run, busyboxRootfsTar());
  const groups = new Map();
  for (const c of table.conformanceCases) {
    const record = table.runCase(run, c, ctx, roots);
    if (!groups.has(c.group)) groups.set(c.group, []);
    groups.get(c.group).push(record);
  }
  const header = { source: 'recorded by tools/record-cli-conformance.mjs', client: `docker ${client}`, server: `dockerd ${server}`, recorded: new Date().toISOString().slice(0, 10) };
  for (const [group, cases] of groups) writeFileSync(join(out, `${group}.json`), `${JSON.stringify({ ...header, cases }, null, 2)}\n`);
  const inspectJson = (args) => JSON.parse(run(['inspect', ...args]).stdout);
  const shapes = {
    ...header,
    containers: Object.fromEntries(table.sceneContainers.map((name) => [name, table.keyPaths(inspectJson([name])[0])])),
    images: Object.fromEntries(['berthconf/bb:1', 'berthconf/bare:1', 'berthconf/lab:1'].map((name) => [name, table.keyPaths(inspectJson(['--type', 'image', name])[0])])),
  };
  writeFileSync(join(out, 'inspect-shapes.json'), `${JSON.stringify(shapes, null, 2)}\n`);
  console.error(`record-cli-conformance: ${table.conformanceCases.length} command lines in ${groups.size} files and inspect-shapes.json under ${out}`);
} finally {
  teardown();
}
