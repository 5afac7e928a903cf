import assert from 'node:assert/strict';
import { test } from 'node:test';

import { operandString, parseTemplate, pipeString, TemplateParseError, type TemplateNode } from './go-template-parser.js';

const functions = new Set(['printf', 'len', 'eq']);
const parse = (text: string): TemplateNode[] => parseTemplate(text, { functions }).tree;

test('{{else if}} nests an if in the else branch that shares the one {{end}}', () => {
  const [node] = parse('{{if .A}}a{{else if .B}}b{{else}}c{{end}}');
  assert.ok(node?.kind === 'if');
  const inner = node.elseList?.[0];
  assert.ok(inner?.kind === 'if');
  assert.equal(pipeString(inner.pipe), '.B');
  assert.deepEqual(inner.elseList, [{ kind: 'text', pos: 33, text: 'c' }]);
});

test('a chained field sits at the position of its second field, as Go reports it', () => {
  const [node] = parse('{{.Config.Env}}');
  assert.ok(node?.kind === 'action');
  const arg = node.pipe.cmds[0]?.args[0];
  assert.ok(arg !== undefined);
  assert.equal(operandString(arg), '.Config.Env');
  assert.equal(arg.pos, 9);
});

test('pipelines keep their declarations and commands', () => {
  const [node] = parse('{{$x := .A | printf "%s" | len}}');
  assert.ok(node?.kind === 'action');
  assert.deepEqual(node.pipe.decl, ['$x']);
  assert.equal(pipeString(node.pipe), '$x := .A | printf "%s" | len');
});

test('parse errors read as Go\'s, naming the line', () => {
  const fails = (text: string, message: string): void => {
    assert.throws(() => parse(text), (err: unknown) => err instanceof TemplateParseError && err.message === message);
  };
  fails('{{nope}}', 'template: :1: function "nope" not defined');
  fails('{{if .A}}\n{{$x := 1}}{{end}}\n{{$x}}', 'template: :3: undefined variable "$x"');
  fails('{{break}}', 'template: :1: {{break}} outside {{range}}');
  fails('{{if}}{{end}}', 'template: :1: missing value for if');
  fails('{{range .A}}\n{{else}}{{else}}{{end}}', 'template: :2: expected end; found {{else}}');
  fails('{{"x" | 3}}', 'template: :1: non executable command in pipeline stage 2');
  fails('{{with .A}}', 'template: :1: unexpected EOF');
  fails('{{.A :=}}', 'template: :1: unexpected ":=" in operand');
});

test('a {{define}} is kept by name and leaves no text', () => {
  const parsed = parseTemplate('{{define "row"}}[{{.}}]{{end}}x', { functions });
  assert.deepEqual(parsed.tree.map((n) => n.kind), ['text', 'text']);
  assert.ok(parsed.defines.has('row'));
});
