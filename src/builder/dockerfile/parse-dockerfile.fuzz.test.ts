// Fuzz target: the Dockerfile parser (directives, continuations, heredocs, flags, --mount, JSON
// forms) and the shell-word expansion. On any input they return or throw a BerthError of kind
// InvalidArgument, never another exception, and they stay fast (a case over its time limit fails,
// which catches superlinear backtracking long before a real hang). Mutation check: letting
// located() pass one ParseProblem kind (heredoc) through unconverted fails the first property at once.
import { test } from 'node:test';

import { isBerthError } from '../../base/index.js';
import { expandWord, expandWords } from './expand.js';
import { parseDockerfile } from './parse-dockerfile.js';
import { fc, fuzzParameters, fuzzTimeout, withinMs } from '../../testing/index.js';

const keyword = fc.constantFrom('FROM', 'from', 'RUN', 'CMD', 'LABEL', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER',
  'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL', 'MAINTAINER', 'BOGUS', 'onbuild run', 'FROM scratch AS');
const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b=c', 'X', '/app', '.', '..', '"q"', "'s'", '[', ']', '["sh","-c"]', '["a",', '{', '}', ',', '=', '\\', '`', '#', '<<EOF', '<<-"EOF"', "<<'E'", 'EOF', 'E', '&&', '|', ';') },
  { weight: 3, arbitrary: fc.constantFrom('$X', '${X}', '${X:-d}', '${X:+a}', '${X:?err}', '${X?}', '${', '$', '${X', '${X:-${Y:-${Z}}}', '$$', '\\$X', '${#X}', '${X%y}', '${X/a/b}') },
  { weight: 3, arbitrary: fc.constantFrom('--from=a', '--mount=type=cache,target=/c,sharing=locked', '--mount=type=bind,source=.,rw', '--mount=type=secret,id=s', '--mount=type=tmpfs,target=/t,size=1m', '--mount=', '--mount=type=bogus', '--chmod=755', '--chown=1:1', '--link', '--network=none', '--security=insecure', '--interval=5s', '--timeout=1h2m', '--retries=x', '--start-period=-1s', '--platform=linux/amd64', '--checksum=sha256:00', '--keep-git-dir', '--exclude=*.md', '--parents', '--', '-') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const line = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(keyword, fc.array(token, { maxLength: 6 }), fc.constantFrom('', ' \\', '\\', ' `')).map(([k, ts, end]) => `${k} ${ts.join(' ')}${end}`) },
  { weight: 2, arbitrary: fc.constantFrom('# escape=`', '# escape=\\', '# syntax=docker/dockerfile:1', '# check=skip=all', '#directive=x', '# comment', '', '   ', '\t', 'EOF', '\\', '``', '\ufeffFROM a') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const dockerfile = fc.array(line, { maxLength: 14 }).map((lines) => lines.join('\n'));

test('the Dockerfile parser throws only BerthErrors and stays fast', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(fc.oneof({ weight: 9, arbitrary: dockerfile }, { weight: 1, arbitrary: fc.string({ maxLength: 300 }) }), (text) => {
    try {
      withinMs(2000, 'parseDockerfile', () => parseDockerfile(text));
    } catch (err) {
      if (!isBerthError(err, 'InvalidArgument')) throw err;
    }
  }), fuzzParameters(1500));
});

test('a long line of substitutions and heredocs parses in linear time', () => {
  const text = `FROM a\nRUN ${'${X:-${Y:-'.repeat(2000)}${'}}'.repeat(2000)} <<EOF\n${'x\\\n'.repeat(5000)}EOF\n`;
  try {
    withinMs(2000, 'parseDockerfile', () => parseDockerfile(text));
  } catch (err) {
    if (!isBerthError(err, 'InvalidArgument')) throw err;
  }
});

const word = fc.array(fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('$', '{', '}', ':', '-', '+', '?', '\\', "'", '"', '`', ' ', 'X', 'Y', 'EMPTY', 'a', '$X', '${X}', '${EMPTY:-d}', '${X:?}', '*', '%', '#', '/') },
  { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
), { maxLength: 30 }).map((parts) => parts.join(''));
const env = { X: 'value with spaces', Y: '$X', EMPTY: '' };

test('shell-word expansion throws only BerthErrors and stays fast', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(word, fc.constantFrom<'\\' | '`'>('\\', '`'), (w, escape) => {
    for (const expand of [expandWord, expandWords]) {
      try {
        withinMs(2000, 'expansion', () => expand(w, env, { escape }));
      } catch (err) {
        if (!isBerthError(err, 'InvalidArgument')) throw err;
      }
    }
  }), fuzzParameters(3000));
});
