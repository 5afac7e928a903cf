/**
 * berth's --format engine against the docker CLI: test/fixtures/format holds, per template, what
 * docker 28's client printed (stdout, stderr, exit code) for the recorded data
 * (tools/record-format-fixtures.sh). berth renders the same data and must print the same bytes,
 * or fail with the same Go message (Docker's command prefix stripped) and a template error code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { renderFormat, renderInspectFormat } from './docker-format.js';

interface Case { template: string; stdout: string; stderr: string; exitCode: number }
interface Fixture { source: string; client: string; data: unknown; cases: Case[] }

const fixtures = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'format');
const load = (name: string): Fixture => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as Fixture;

// Where berth's JSON-shaped data cannot be Docker's Go types, with the reason. Each entry is what
// berth gives instead (stdout, or an error message), so that a change in either shows up here.
const inspectDivergences: Record<string, { stdout?: string; error?: string }> = {
  // A nil []string prints as [] in Go; berth's JSON null has no element type, so it prints <nil>.
  '{{.HostConfig.Binds}} {{json .HostConfig.Binds}}': { stdout: '<nil> null\n' },
  '{{.Config.Entrypoint}} {{json .Config.Entrypoint}}': { stdout: '<nil> null\n' },
  // Go prints a struct as {v1 v2 ...}; berth's objects print as maps.
  '{{.State}}': {
    stdout: 'map[Dead:false Error: ExitCode:0 FinishedAt:0001-01-01T00:00:00Z OOMKilled:false Paused:false Pid:0 Restarting:false Running:false StartedAt:0001-01-01T00:00:00Z Status:created]\n',
  },
  // Docker reports its second, untyped pass's error; berth's one pass stops at the constant.
  '{{join .Config.Env 1}}': { error: 'template: :1:19: executing "" at <1>: expected string; found 1' },
};
const psDivergences: Record<string, { stdout?: string; error?: string }> = {
  // Go prints the reflect.Value of a method's result here as empty; berth prints the value.
  '{{range .Names}}{{end}}': { error: 'template: :1:8: executing "" at <.Names>: range can\'t iterate over berth-fmt-second' },
};

function expectedError(c: Case, prefix: string): string {
  const line = c.stderr.trim();
  assert.ok(line.startsWith(prefix), `recorded stderr ${JSON.stringify(line)} starts with ${prefix}`);
  return line.slice(prefix.length);
}

function check(c: Case, render: () => string, prefixes: { parse: string; exec: string }, divergence?: { stdout?: string; error?: string }): void {
  if (divergence?.stdout !== undefined || (c.exitCode === 0 && divergence === undefined)) {
    assert.equal(render(), divergence?.stdout ?? c.stdout);
    return;
  }
  const parse = c.stderr.startsWith(prefixes.parse) && !c.stderr.includes('executing "');
  const message = divergence?.error ?? expectedError(c, parse ? prefixes.parse : prefixes.exec);
  assert.throws(render, (err: unknown) => {
    assert.ok(isBerthError(err, 'InvalidArgument'));
    assert.equal(err.code, parse ? 'BERTH_E_TEMPLATE_PARSE' : 'BERTH_E_TEMPLATE_EXEC');
    assert.equal(err.message, message);
    return true;
  });
}

describe('docker inspect -f, recorded from the docker CLI', () => {
  const fixture = load('inspect.json');
  test('the fixture is recorded, not hand-written', () => assert.equal(fixture.source, 'recorded'));
  for (const c of fixture.cases) {
    test(c.template, () => {
      check(c, () => renderInspectFormat(c.template, [fixture.data], { missingKey: 'error' }),
        { parse: 'template parsing error: ', exec: 'template parsing error: ' }, inspectDivergences[c.template]);
    });
  }
});

// docker ps's headers (cli/command/formatter/container.go) and default table.
const psHeaders = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES', Platform: 'PLATFORM', Label: (name: string) => name,
};
const psDefaultTable = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

describe('docker ps --format, recorded from the docker CLI', () => {
  const fixture = load('ps.json');
  // ps's items are Go structs with a Label method; berth's views give a function-valued field.
  const items = (fixture.data as Record<string, unknown>[]).map((row) => ({
    ...row,
    Label(name: string): string {
      const pair = String(row.Labels).split(',').find((l) => l.split('=')[0] === name);
      return pair === undefined ? '' : pair.slice(name.length + 1);
    },
  }));
  for (const c of fixture.cases) {
    test(c.template, () => {
      // `--format json` computes sizes without the virtual size that {{json .}} shows.
      const expected = c.template === 'json' ? c.stdout.replace(/"Size":"0B"/g, '"Size":"0B (virtual 1.98MB)"') : undefined;
      const divergence = expected !== undefined ? { stdout: expected } : psDivergences[c.template];
      check(c, () => renderFormat(c.template, items, { headers: psHeaders, defaultTable: psDefaultTable, structType: '*formatter.ContainerContext' }),
        { parse: 'failed to parse template: ', exec: 'failed to execute template: ' }, divergence);
    });
  }
});
