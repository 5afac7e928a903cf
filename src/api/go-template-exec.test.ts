/**
 * Go text/template semantics that the recorded Docker fixtures (docker-format.test.ts) do not
 * reach: Go's default missing-key printing, methods, typed contexts, scoping, short-circuiting.
 * Expected values follow Go's documentation (pkg.go.dev/text/template), hand-written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GoTemplate, TemplateExecError, type ExecOptions } from './go-template-exec.js';

const run = (text: string, data: unknown, options?: ExecOptions): string => new GoTemplate(text).execute(data, options);
const execError = (text: string, data: unknown, options?: ExecOptions): string => {
  try {
    run(text, data, options);
  } catch (err) {
    if (err instanceof TemplateExecError) return err.message;
    throw err;
  }
  assert.fail(`${text} did not fail`);
};

test('a missing key prints <no value> by default and is an error with missingkey=error', () => {
  assert.equal(run('{{.A}}|{{.A.B}}', {}), '<no value>|<no value>');
  assert.equal(execError('{{.A}}', { N: 1 }, { missingKey: 'error' }), 'template: :1:2: executing "" at <.A>: map has no entry for key "A"');
  // An object of strings only is Docker's map[string]string (labels): <no value> even then.
  assert.equal(run('{{.Labels.a}}', { N: 1, Labels: { b: 'x' } }, { missingKey: 'error' }), '<no value>');
});

test('a typed context (structType) rejects unknown fields naming the type', () => {
  assert.equal(execError('{{.Names}} {{.Nope}}', { Names: 'x' }, { structType: '*formatter.ContainerContext' }),
    'template: :1:13: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext');
});

test('a function-valued field is a method: it gets the arguments and the piped value', () => {
  const data = { Label: (k: string, suffix = ''): string => `<${k}${suffix}>` };
  assert.equal(run('{{.Label "a"}} {{"!" | .Label "b"}}', data), '<a> <b!>');
  assert.equal(execError('{{.X 1}}', { X: 2 }), 'template: :1:2: executing "" at <.X>: X is not a method but has arguments');
});

test('range over a map walks sorted keys; over nothing runs {{else}}; break and continue work nested', () => {
  assert.equal(run('{{range $k, $v := .}}{{$k}}={{$v}} {{end}}', { b: 2, a: 1, c: 3 }), 'a=1 b=2 c=3 ');
  assert.equal(run('{{range .L}}x{{else}}empty{{end}}', { L: [] }), 'empty');
  assert.equal(run('{{range .L}}x{{else}}empty{{end}}', { L: null }), 'empty');
  assert.equal(run('{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}', [1, 2, 3, 4, 5]), '13');
  assert.equal(run('{{range $o := .}}{{range .}}{{if eq . 9}}{{break}}{{end}}{{.}}{{end}};{{end}}', [[1, 9, 2], [3]]), '1;3;');
});

test('variables: := declares in the current scope, = assigns an outer one, $ is the data', () => {
  assert.equal(run('{{$n := 0}}{{range .}}{{$n = .}}{{end}}{{$n}}', [4, 5]), '5');
  assert.equal(run('{{range .L}}{{$.Name}}{{end}}', { Name: 'n', L: [1, 2] }), 'nn');
});

test('and/or short-circuit: the unevaluated argument cannot fail', () => {
  assert.equal(run('{{and false (index .L 9)}} {{or 1 (index .L 9)}}', { L: [] }), 'false 1');
});

test('execution errors name line, column and the action', () => {
  assert.equal(execError('line one\n  {{index .L 3}}', { L: [1] }),
    'template: :2:4: executing "" at <index .L 3>: error calling index: index out of range: 3');
  assert.equal(execError('{{.A.B}}', { A: null }), 'template: :1:4: executing "" at <.A.B>: nil pointer evaluating interface {}.B');
  assert.equal(execError('{{lt true false}}', {}), 'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison');
});

test('a partial output survives an error, for Docker\'s header pass', () => {
  assert.throws(() => run('a{{.X}}b{{.Y 1}}c', { X: 1, Y: 2 }), (err: unknown) => err instanceof TemplateExecError && err.partial === 'a1b');
});

test('Go prints values its own way', () => {
  assert.equal(run('{{.}}', { b: [1, 'x', true, null], a: { z: 1.5 } }), 'map[a:map[z:1.5] b:[1 x true <nil>]]');
  assert.equal(run('{{1e6}} {{0.5}} {{1000000}} {{2.0}} {{-0x10}}', null), '1e+06 0.5 1000000 2 -16');
  assert.equal(run('{{print 1 2 "a" 3 "b" "c"}}|{{println 1 "a"}}', null), '1 2a3bc|1 a\n');
  assert.equal(execError('{{eq 1 1.0}}', null), 'template: :1:2: executing "" at <eq 1 1.0>: error calling eq: incompatible types for comparison');
});
