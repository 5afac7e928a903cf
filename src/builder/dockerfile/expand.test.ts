import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXPANSION_INSTRUCTIONS, expandWord, expandWords, expandsVariables, referencedEnvNames } from './expand.js';

const env = { hi: 'hi', space: 'abc  def', leading: '  ab c', empty: '', PWD: '/home' };

test('expandWord substitutes $VAR and ${VAR}, unset becomes empty', () => {
  assert.equal(expandWord('hello${hi}bye', env), 'hellohibye');
  assert.equal(expandWord('he$PWD', env), 'he/home');
  assert.equal(expandWord('x${nope}y$nope', env), 'xy');
  assert.equal(expandWord('$', env), '$');
  assert.equal(expandWord('he$.x', env), 'he$.x');
  assert.equal(expandWord('he$1x', env), 'hex');
});

test('expandWord accepts a Map as the environment', () => {
  assert.equal(expandWord('$a-$b', new Map([['a', '1'], ['b', '2']])), '1-2');
});

test('defaults and alternatives distinguish unset from empty', () => {
  assert.equal(expandWord('${nope:-dflt}', env), 'dflt');
  assert.equal(expandWord('${empty:-dflt}', env), 'dflt');
  assert.equal(expandWord('${empty-dflt}', env), '');
  assert.equal(expandWord('${nope-dflt}', env), 'dflt');
  assert.equal(expandWord('${hi:-dflt}', env), 'hi');
  assert.equal(expandWord('${hi:+alt}', env), 'alt');
  assert.equal(expandWord('${empty:+alt}', env), '');
  assert.equal(expandWord('${empty+alt}', env), 'alt');
  assert.equal(expandWord('${nope+alt}', env), '');
  assert.equal(expandWord('${nope:-$hi}', env), 'hi');
});

test('${VAR:?msg} fails with a substitution error when unset or empty', () => {
  assert.equal(expandWord('${hi:?must}', env), 'hi');
  assert.throws(() => expandWord('${nope:?must be set}', env), (err: Error & { code?: string }) =>
    err.code === 'BERTH_E_DOCKERFILE_SUBSTITUTION' && err.message.includes('nope: must be set'));
  assert.throws(() => expandWord('${empty:?}', env), /is not allowed to be empty/);
  assert.equal(expandWord('${empty?}', env), '');
  assert.throws(() => expandWord('${nope?}', env), /is not allowed to be unset/);
});

test('pattern trimming and replacement', () => {
  const e = { f: 'archive.tar.gz', p: 'a/b/c' };
  assert.equal(expandWord('${f%.*}', e), 'archive.tar');
  assert.equal(expandWord('${f%%.*}', e), 'archive');
  assert.equal(expandWord('${f#*.}', e), 'tar.gz');
  assert.equal(expandWord('${f##*.}', e), 'gz');
  assert.equal(expandWord('${p/\\//-}', e), 'a-b/c');
  assert.equal(expandWord('${p//\\//-}', e), 'a-b-c');
});

test('quotes and escapes follow the shell lexer', () => {
  assert.equal(expandWord('hello" there  "', env), 'hello there  ');
  assert.equal(expandWord('hello\\ there', env), 'hello there');
  assert.equal(expandWord("hello'$hi'", env), 'hello$hi');
  assert.equal(expandWord('hello"$hi"', env), 'hellohi');
  assert.equal(expandWord('he\\$PWD', env), 'he$PWD');
  assert.equal(expandWord('"he\\$PWD"', env), 'he$PWD');
  assert.equal(expandWord('"abc\\tdef"', env), 'abc\\tdef');
  assert.equal(expandWord('abc\\tdef', env), 'abctdef');
  assert.equal(expandWord("'hello\\'", env), 'hello\\');
  assert.equal(expandWord('hello\\', env), 'hello');
  assert.equal(expandWord('"\'\'"', env), "''");
  assert.throws(() => expandWord('"hello', env), /double-quote/);
  assert.throws(() => expandWord("'hello", env), /single-quote/);
  assert.throws(() => expandWord('${hi', env), /missing '}'/);
  assert.throws(() => expandWord('${:}', env), /bad substitution/);
});

test('a backtick escape replaces the backslash', () => {
  assert.equal(expandWord('a`$hi', env, { escape: '`' }), 'a$hi');
  assert.equal(expandWord('C:\\dir', env, { escape: '`' }), 'C:\\dir');
});

test('expandWords splits unquoted expansions and keeps quoted ones whole', () => {
  assert.deepEqual(expandWords('hello${space}bye', env), ['helloabc', 'defbye']);
  assert.deepEqual(expandWords('hello"${space}"bye', env), ['helloabc  defbye']);
  assert.deepEqual(expandWords('hello${leading}def', env), ['hello', 'ab', 'cdef']);
  assert.deepEqual(expandWords('hello there', env), ['hello', 'there']);
  assert.deepEqual(expandWords('80 $ports', { ports: '443/tcp 53/udp' }), ['80', '443/tcp', '53/udp']);
  assert.deepEqual(expandWords('""', env), []);
});

test('referencedEnvNames lists every variable a word reads, without failing on ${X:?}', () => {
  assert.deepEqual(referencedEnvNames('${A:-$B}/$C/${D:?x}/\\$E/\'$F\''), ['A', 'B', 'C', 'D']);
  assert.deepEqual(referencedEnvNames('plain'), []);
});

test('the expansion instruction list is Docker\'s', () => {
  for (const k of ['ADD', 'COPY', 'ENV', 'EXPOSE', 'FROM', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR', 'ARG']) {
    assert.ok(EXPANSION_INSTRUCTIONS.includes(k), k);
  }
  for (const k of ['RUN', 'CMD', 'ENTRYPOINT', 'ONBUILD', 'SHELL', 'HEALTHCHECK', 'MAINTAINER']) assert.equal(expandsVariables(k), false, k);
  assert.equal(expandsVariables('copy'), true);
});
