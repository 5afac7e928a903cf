import assert from 'node:assert/strict';
import { test } from 'node:test';

import { lexTemplate, TemplateLexError } from './go-template-lexer.js';

const kinds = (text: string): string[] => lexTemplate(text).filter((t) => t.type !== 'space').map((t) => `${t.type}:${t.value}`);

test('an action lexes into Go\'s items: fields chained, variables, strings, pipes', () => {
  assert.deepEqual(kinds('a{{.A.B | printf "%s" $x}}b'), [
    'text:a', 'left:{{', 'field:.A', 'field:.B', 'pipe:|', 'identifier:printf', 'string:"%s"', 'variable:$x', 'right:}}', 'text:b', 'eof:',
  ]);
  assert.deepEqual(kinds('{{range $i, $e := .L}}{{end}}'), [
    'left:{{', 'keyword:range', 'variable:$i', 'comma:,', 'variable:$e', 'declare::=', 'field:.L', 'right:}}',
    'left:{{', 'keyword:end', 'right:}}', 'eof:',
  ]);
  assert.deepEqual(kinds("{{1.5 -2 0x1F 'a' `r` true nil . (.X).Y}}").slice(1, -2), [
    'number:1.5', 'number:-2', 'number:0x1F', "char:'a'", 'rawString:`r`', 'bool:true', 'nil:nil', 'dot:.',
    'leftParen:(', 'field:.X', 'rightParen:)', 'field:.Y',
  ]);
});

test('trim markers eat the whitespace beside them, comments vanish', () => {
  assert.deepEqual(kinds('a \n {{- .A -}} \n b'), ['text:a', 'left:{{- ', 'field:.A', 'right:}}', 'text:b', 'eof:']);
  assert.deepEqual(kinds('a {{- /* note */ -}} b{{/* x */}}c'), ['text:a', 'text:b', 'text:c', 'eof:']);
  // "{{-3}}" is the number -3, not a trim marker: the marker needs a space after it.
  assert.deepEqual(kinds('{{-3}}'), ['left:{{', 'number:-3', 'right:}}', 'eof:']);
});

test('lexing errors carry Go\'s message and line', () => {
  const fails = (text: string, message: string, line: number): void => {
    assert.throws(() => lexTemplate(text), (err: unknown) => err instanceof TemplateLexError && err.message === message && err.line === line);
  };
  fails('x\n{{.A', 'unclosed action', 2);
  fails('{{"abc}}', 'unterminated quoted string', 1);
  fails('{{`abc}}', 'unterminated raw quoted string', 1);
  fails('{{/* x }}', 'unclosed comment', 1);
  fails('{{/* x */ .A}}', 'comment ends before closing delimiter', 1);
  fails('\n\n{{.A ! }}', "unrecognized character in action: U+0021 '!'", 3);
  fails('{{(.A}}', 'unclosed left paren', 1);
  fails('{{.A)}}', 'unexpected right paren', 1);
  fails('{{3x}}', 'bad number syntax: "3x"', 1);
});
