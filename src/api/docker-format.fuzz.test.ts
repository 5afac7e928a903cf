// Fuzz target: the --format engine on templates built from the pieces templates are made of.
// Whatever the template, rendering returns text or fails with a template BerthError (never a
// TypeError, RangeError or stack overflow a user would see as a Node stack trace), and quickly.
import { test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { fc, fuzzParameters, fuzzTimeout, withinMs } from '../testing/index.js';
import { renderFormat, renderInspectFormat } from './docker-format.js';

const piece = fc.constantFrom(
  '{{', '}}', '{{- ', ' -}}', '{{/*', '*/}}', '.A', '.B.C', '.L', '.M', '.F', '.N', '.Label', '.', '$', '$x', '$.A', ':=', '=', '|',
  '(', ')', ',', ' ', '\n', '"s"', '`r`', "'c'", '"%d %c %x %q %5.2f %v %s"', '1', '-1', '0', '3', '1.5', '1e400', '0x1F', '1114112',
  'if', 'else', 'end', 'range', 'with', 'define "t"', 'template "t"', 'break', 'continue', 'nil', 'true', 'printf', 'print',
  'println', 'index', 'slice', 'len', 'eq', 'ne', 'lt', 'and', 'or', 'not', 'json', 'split', 'join', 'pad', 'truncate', 'title',
  'upper', 'lower', 'html', 'js', 'urlquery', 'table ', 'json', '\\t', 'x',
);
const template = fc.array(piece, { minLength: 1, maxLength: 14 }).map((p) => p.join(''));
const data = { A: 'a', B: { C: 1 }, L: ['x', 'y'], M: { k: 'v' }, F: 2.5, N: null, Label: (k: string): string => k };

test('any template renders or fails with a template error, within 200 ms', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(template, (text) => {
    for (const render of [() => renderFormat(text, [data, data]), () => renderInspectFormat(text, [data])]) {
      try {
        withinMs(200, JSON.stringify(text), render);
      } catch (err) {
        if (!isBerthError(err, 'InvalidArgument') || !err.code.startsWith('BERTH_E_TEMPLATE_')) throw err;
      }
    }
  }), fuzzParameters(3000));
});

test('hostile templates fail as template errors: endless {{template}}, deep nesting, huge widths, bad runes', () => {
  const hostile = [
    '{{define "t"}}{{template "t"}}{{end}}{{template "t"}}',
    `{{${'('.repeat(20000)}1${')'.repeat(20000)}}}`,
    '{{printf "%999999999999d" 1}}',
    '{{pad "x" 1000000000000 1}}',
  ];
  for (const text of hostile) {
    try {
      withinMs(2000, text.slice(0, 40), () => renderInspectFormat(text, [data]));
      throw new Error(`${text.slice(0, 40)} rendered`);
    } catch (err) {
      if (!isBerthError(err, 'InvalidArgument') || !err.code.startsWith('BERTH_E_TEMPLATE_')) throw err;
    }
  }
  // Go prints an invalid rune as U+FFFD rather than failing.
  if (renderInspectFormat('{{printf "%c|%q" 1114112 -1}}', [data]) !== '\uFFFD|\'\uFFFD\'\n') throw new Error('invalid runes');
});
