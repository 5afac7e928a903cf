/**
 * The CLI conformance table (issue 10): the scene of cli-conformance-table.ts built on one berth
 * store, each recorded command line run with berth, masked as the recorder masked Docker's, and
 * compared with what the docker CLI printed against dockerd 20.10 (test/fixtures/cli/*.json, from
 * tools/record-cli-conformance.mjs). Where berth still differs, `expectedDifferences` says how and
 * why, and the test checks that berth prints exactly that (so a fix, or a new difference, shows).
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { busyboxRootfsTar } from '../testing/index.js';
import type { CaseRecord, CliRunner, SceneContext } from './cli-conformance-table.js';
import { buildScene, conformanceCases, keyPaths, runCase } from './cli-conformance-table.js';
import type { Store } from './harness.js';
import { createStore, repoRoot, runStateDir } from './harness.js';
import { expectedDifferences, shapeDifferences } from './cli-conformance-differences.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'cli');
const recorded = new Map<string, CaseRecord>();
for (const group of new Set(conformanceCases.map((c) => c.group))) {
  const file = JSON.parse(readFileSync(join(fixtures, `${group}.json`), 'utf8')) as { cases: CaseRecord[] };
  for (const c of file.cases) recorded.set(c.id, c);
}

describe('CLI conformance: berth prints what the docker CLI printed for ~120 command lines', { concurrency: false }, () => {
  let store: Store;
  let ctx: SceneContext;
  let roots: string[];
  const run: CliRunner = (args, input) => store.berth([...args], input ? { input } : {});
  before(() => {
    store = createStore();
    roots = [store.root, runStateDir(store.root)];
    ctx = buildScene(run, busyboxRootfsTar());
  });
  after(() => store.dispose());

  test('every command line of the table has a recording, and every expected difference a command line', () => {
    for (const c of conformanceCases) assert.ok(recorded.has(c.id), `${c.id}: not recorded (run tools/record-cli-conformance.mjs)`);
    for (const id of Object.keys(expectedDifferences)) assert.ok(conformanceCases.some((c) => c.id === id), `expected difference for an unknown line ${id}`);
  });

  test('inspect shapes: every key path of dockerd 20.10\'s container and image inspect, with its JSON type', () => {
    const docker = JSON.parse(readFileSync(join(fixtures, 'inspect-shapes.json'), 'utf8')) as Record<'containers' | 'images', Record<string, Record<string, string>>>;
    const problems: string[] = [];
    for (const kind of ['containers', 'images'] as const) {
      for (const [name, paths] of Object.entries(docker[kind])) {
        const r = store.berth(['inspect', '--type', kind === 'containers' ? 'container' : 'image', name]);
        assert.equal(r.code, 0, r.stderr);
        const berth = keyPaths((JSON.parse(r.stdout) as unknown[])[0]);
        for (const path of [...new Set([...Object.keys(paths), ...Object.keys(berth)])].sort()) {
          const [d, b] = [paths[path], berth[path]];
          if (d === b) continue;
          const allowed = shapeDifferences[`${kind}:${path}`];
          if (allowed && allowed.docker === d && allowed.berth === b) continue;
          problems.push(`${kind} ${name} ${path}: dockerd ${d ?? 'absent'}, berth ${b ?? 'absent'}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  for (const c of conformanceCases) {
    test(`${c.id}: ${c.args.join(' ')}`, () => {
      const docker = recorded.get(c.id);
      assert.ok(docker, `${c.id}: not recorded`);
      const berth = runCase(run, c, ctx, roots);
      const difference = expectedDifferences[c.id];
      const expected = { stdout: docker.stdout, stderr: docker.stderr, exitCode: docker.exitCode, ...difference?.berth };
      const actual = { stdout: berth.stdout, stderr: berth.stderr, exitCode: berth.exitCode };
      // BERTH_CONFORMANCE_DUMP=FILE: berth's masked outputs, one JSON line per command line, for updating expectedDifferences.
      if (process.env.BERTH_CONFORMANCE_DUMP) appendFileSync(process.env.BERTH_CONFORMANCE_DUMP, `${JSON.stringify({ id: c.id, actual })}\n`);
      assert.deepEqual(actual, expected, `${docker.command}${difference ? ` (expected difference: ${difference.reason})` : ''}`);
      if (difference) {
        const same = Object.keys(difference.berth).every((k) => docker[k as keyof typeof expected] === difference.berth[k as keyof typeof expected]);
        assert.ok(!same, `${c.id}: the expected difference is what Docker prints: remove it from cli-conformance-differences.ts`);
      }
    });
  }
});
