/**
 * berth's --format engine against the docker CLI: test/fixtures/format holds, per template, what
 * the docker 28 client printed (stdout, stderr, exit code) for the recorded data
 * (tools/record-format-fixtures.sh): `inspect -f`, `ps`, `images`, `volume ls`, `network ls`.
 * berth renders the same data and must print the same bytes, or fail with the same Go message
 * (after Docker's command-specific prefix) and a template error code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { renderFormat, renderInspectFormat, type FormatOptions } from './docker-format.js';
import { dockerTables } from './docker-format-tables.js';

interface Case { template: string; stdout: string; stderr: string; exitCode: number }
interface Fixture { source: string; client: string; command: string; data: unknown; cases: Case[] }
interface Divergence { stdout?: string; error?: string }

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'format');
const load = (name: string): Fixture => JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')) as Fixture;

// Where berth's JSON-shaped data cannot be Docker's Go types, with the reason. Each entry is what
// berth gives instead (stdout, or an error message), so that a change in either shows up here.
const divergences: Record<string, Record<string, Divergence>> = {
  inspect: {
    // A nil []string prints as [] in Go; berth's JSON null has no element type, so it prints <nil>.
    '{{.HostConfig.Binds}} {{json .HostConfig.Binds}}': { stdout: '<nil> null\n' },
    '{{.Config.Entrypoint}} {{json .Config.Entrypoint}}': { stdout: '<nil> null\n' },
    // Go prints a struct as {v1 v2 ...}; berth's objects print as maps.
    '{{.State}}': {
      stdout: 'map[Dead:false Error: ExitCode:0 FinishedAt:0001-01-01T00:00:00Z OOMKilled:false Paused:false Pid:0 Restarting:false Running:false StartedAt:0001-01-01T00:00:00Z Status:created]\n',
    },
    // Docker reports its second, untyped pass's error; berth's one pass stops at the constant.
    '{{join .Config.Env 1}}': { error: 'template: :1:19: executing "" at <1>: expected string; found 1' },
  },
  ps: {
    // Go prints the reflect.Value of a method's result here as empty; berth prints the value.
    '{{range .Names}}{{end}}': { error: 'template: :1:8: executing "" at <.Names>: range can\'t iterate over berth-fmt-second' },
  },
};

// The list commands' rows are Go structs whose Label method reads the labels; berth's views give
// a function-valued field instead.
function withLabelMethod(row: Record<string, unknown>): Record<string, unknown> {
  return {
    ...row,
    Label(name: string): string {
      const pair = String(row.Labels).split(',').find((l) => l.split('=')[0] === name);
      return pair === undefined ? '' : pair.slice(name.length + 1);
    },
  };
}

// Docker joins labels from a Go map, in a different order each run.
const sortLabels = (text: string): string => text.replace(/"Labels":"([^"]*)"/g, (_m, l: string) => `"Labels":"${l.split(',').sort().join(',')}"`);

function check(c: Case, render: () => string, divergence: Divergence | undefined): void {
  if (divergence?.stdout !== undefined || (c.exitCode === 0 && divergence === undefined)) {
    const expected = divergence?.stdout ?? c.stdout;
    if (c.template === 'json') assert.equal(sortLabels(render()), sortLabels(expected));
    else assert.equal(render(), expected);
    return;
  }
  const at = c.stderr.indexOf('template: :');
  assert.ok(at >= 0, `recorded stderr ${JSON.stringify(c.stderr)} carries Go's message`);
  const parse = !c.stderr.includes('executing "');
  const message = divergence?.error ?? c.stderr.slice(at).trim();
  assert.throws(render, (err: unknown) => {
    assert.ok(isBerthError(err, 'InvalidArgument'));
    assert.equal(err.code, parse ? 'BERTH_E_TEMPLATE_PARSE' : 'BERTH_E_TEMPLATE_EXEC');
    assert.equal(err.message, message);
    return true;
  });
}

describe('docker inspect -f, recorded from the docker CLI', () => {
  const fixture = load('inspect');
  test('the fixture is recorded, not hand-written', () => assert.equal(fixture.source, 'recorded'));
  for (const c of fixture.cases) {
    test(c.template, () => check(c, () => renderInspectFormat(c.template, [fixture.data], { missingKey: 'error' }), divergences.inspect?.[c.template]));
  }
});

const lists: [string, FormatOptions][] = [
  ['ps', dockerTables.container], ['images', dockerTables.image], ['volumes', dockerTables.volume], ['networks', dockerTables.network],
];
for (const [name, options] of lists) {
  describe(`docker ${name} --format, recorded from the docker CLI`, () => {
    const fixture = load(name);
    const items = (fixture.data as Record<string, unknown>[]).map(withLabelMethod);
    test('the fixture is recorded, not hand-written', () => assert.equal(fixture.source, 'recorded'));
    for (const c of fixture.cases) {
      test(c.template, () => {
        let divergence = divergences[name]?.[c.template];
        // ps's `--format json` computes sizes without the virtual size that its {{json .}} shows.
        if (name === 'ps' && c.template === 'json') divergence = { stdout: c.stdout.replace(/"Size":"0B"/g, '"Size":"0B (virtual 1.98MB)"') };
        check(c, () => renderFormat(c.template, items, options), divergence);
      });
    }
  });
}
