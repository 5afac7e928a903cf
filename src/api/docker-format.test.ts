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

// Where berth's data cannot tell Docker's Go types apart, with the reason; each still must differ
// from Docker in the known way, so that a fix shows up here.
const inspectDivergences: Record<string, string> = {
  // Docker prints a nil []string field as [] (typed struct); berth's JSON null has no element type.
  '{{.HostConfig.Binds}} {{json .HostConfig.Binds}}': '<nil> null\n',
};

function expectedError(c: Case, prefix: string): string {
  const line = c.stderr.trim();
  assert.ok(line.startsWith(prefix), `recorded stderr ${JSON.stringify(line)} starts with ${prefix}`);
  return line.slice(prefix.length);
}

function check(c: Case, render: () => string, prefixes: { parse: string; exec: string }, divergence?: string): void {
  if (c.exitCode === 0) {
    assert.equal(render(), divergence ?? c.stdout);
    return;
  }
  const parse = c.stderr.startsWith(prefixes.parse) && !c.stderr.includes('executing "');
  const message = expectedError(c, parse ? prefixes.parse : prefixes.exec);
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
  LocalVolumes: 'LOCAL VOLUMES', Label: 'LABEL', Platform: 'PLATFORM',
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
      check(c, () => renderFormat(c.template, items, { headers: psHeaders, defaultTable: psDefaultTable, structType: '*formatter.ContainerContext' }),
        { parse: 'failed to parse template: ', exec: 'failed to execute template: ' }, expected);
    });
  }
});
