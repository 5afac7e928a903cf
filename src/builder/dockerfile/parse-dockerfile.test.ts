import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../base/index.js';
import { parseDockerfile } from './parse-dockerfile.js';
import type { Instruction } from './types.js';

function only(text: string): Instruction {
  const df = parseDockerfile(`FROM scratch\n${text}`);
  assert.equal(df.stages[0]?.instructions.length, 1);
  return df.stages[0]?.instructions[0] as Instruction;
}

function fails(text: string, code: string, message?: string | RegExp, file?: string) {
  assert.throws(() => parseDockerfile(text, file === undefined ? {} : { file }), (err: unknown) => {
    assert.ok(isBerthError(err, 'InvalidArgument'), String(err));
    assert.equal(err.code, `BERTH_E_${code}`);
    if (typeof message === 'string') assert.ok(err.message.startsWith(message), err.message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

test('parser directives at the top, case-insensitive, stop at the first other line', () => {
  const df = parseDockerfile('# SYNTAX = docker/dockerfile:1.7\n#escape=`\n# check=skip=all\nFROM a\nRUN dir c:\\ `\n  && echo');
  assert.deepEqual(df.directives, { syntax: 'docker/dockerfile:1.7', escape: '`', check: 'skip=all' });
  const run = df.stages[0]?.instructions[0];
  assert.equal(run?.kind === 'RUN' && run.command.form === 'shell' && run.command.script, 'dir c:\\   && echo');
  // After a comment, or an unknown directive, or a blank line: no longer a directive.
  assert.equal(parseDockerfile('# hello\n# escape=`\nFROM a').directives.escape, '\\');
  assert.equal(parseDockerfile('# unknown=x\n# escape=`\nFROM a').directives.escape, '\\');
  assert.equal(parseDockerfile('\n# escape=`\nFROM a').directives.escape, '\\');
  assert.equal(parseDockerfile('FROM a\n# syntax=x').directives.syntax, undefined);
  assert.equal(parseDockerfile('\ufeff# escape=`\nFROM a').directives.escape, '`');
});

test('directive errors are located', () => {
  fails('# escape=x\nFROM a', 'DOCKERFILE_DIRECTIVE', 'Dockerfile:1:1: ');
  fails('# escape=`\n# escape=\\\nFROM a', 'DOCKERFILE_DIRECTIVE', 'Dockerfile:2:1: ');
});

test('comments only at line start, also between continuation lines; empty continuation lines are skipped', () => {
  const df = parseDockerfile('FROM a\n  # indented comment\nRUN echo a \\\n# inside\n\n   \n  b # not a comment\n');
  const run = df.stages[0]?.instructions[0];
  assert.ok(run?.kind === 'RUN' && run.command.form === 'shell');
  assert.equal(run.command.script, 'echo a   b # not a comment');
  assert.deepEqual(run.location, { file: 'Dockerfile', line: 3, column: 1, endLine: 7 });
  assert.equal(df.warnings.length, 1);
});

test('a double escape at line end is not a continuation; continuation at EOF ends the instruction', () => {
  const df = parseDockerfile('FROM a\nRUN echo \\\\\nRUN b \\');
  const [a, b] = df.stages[0]?.instructions ?? [];
  assert.ok(a?.kind === 'RUN' && a.command.form === 'shell' && a.command.script === 'echo \\\\');
  assert.ok(b?.kind === 'RUN' && b.command.form === 'shell' && b.command.script === 'b');
});

test('an empty continuation at end of file is an error', () => {
  fails('FROM a\nRUN \\\n', 'DOCKERFILE_SYNTAX', 'Dockerfile:2:1: RUN requires at least one argument');
});

test('locations: line and column of the keyword, custom file name', () => {
  const df = parseDockerfile('\n\nFROM a AS b\n    run echo\n', { file: 'sub/app.Dockerfile' });
  assert.deepEqual(df.stages[0]?.location, { file: 'sub/app.Dockerfile', line: 3, column: 1, endLine: 3 });
  assert.deepEqual(df.stages[0]?.instructions[0]?.location, { file: 'sub/app.Dockerfile', line: 4, column: 5, endLine: 4 });
});

test('stages: names lowercased, platform flag, meta ARGs before the first FROM', () => {
  const df = parseDockerfile('ARG A=1 B\nARG C="x y"\nFROM --platform=$BUILDPLATFORM golang:${A} AS Build\nFROM build\n');
  assert.deepEqual(df.args.map(({ name, default: d }) => ({ name, d })), [{ name: 'A', d: '1' }, { name: 'B', d: undefined }, { name: 'C', d: '"x y"' }]);
  assert.equal(df.stages.length, 2);
  assert.deepEqual(df.stages[0]?.from, { image: 'golang:${A}', platform: '$BUILDPLATFORM' });
  assert.equal(df.stages[0]?.name, 'build');
  assert.equal(df.stages[1]?.name, undefined);
  assert.equal(df.stages[1]?.index, 1);
  fails('FROM a AS 1x', 'DOCKERFILE_SYNTAX', /Invalid name for build stage/);
  fails('FROM a b', 'DOCKERFILE_SYNTAX', /one or three arguments/);
  fails('FROM --platfrom=x a', 'DOCKERFILE_FLAG', /Unknown flag "--platfrom".*did you mean --platform/);
});

test('no FROM, instruction before FROM, empty file', () => {
  fails('ARG A\n', 'DOCKERFILE_NO_FROM', 'Dockerfile:1:1: ');
  fails('# c\nRUN x\nFROM a', 'DOCKERFILE_INSTRUCTION_BEFORE_FROM', 'Dockerfile:2:1: ');
  fails('# only a comment\n\n', 'DOCKERFILE_EMPTY');
  fails('', 'DOCKERFILE_EMPTY');
});

test('unknown instructions with a suggestion', () => {
  fails('FROM a\n\nRUNN x', 'DOCKERFILE_UNKNOWN_INSTRUCTION', 'Dockerfile:3:1: unknown instruction "RUNN" (did you mean RUN?)');
  fails('FROM a\ncopyy a b', 'DOCKERFILE_UNKNOWN_INSTRUCTION', /did you mean copy\?/);
  fails('FROM a\nFOOBAR x', 'DOCKERFILE_UNKNOWN_INSTRUCTION', 'Dockerfile:2:1: unknown instruction "FOOBAR"');
});

test('exec form and shell form; invalid JSON falls back to shell form', () => {
  assert.deepEqual((only('CMD ["a", "b c"]') as { command: unknown }).command, { form: 'exec', args: ['a', 'b c'] });
  assert.deepEqual((only("CMD ['a']") as { command: unknown }).command, { form: 'shell', script: "['a']" });
  assert.deepEqual((only('ENTRYPOINT ["a", "b"') as { command: unknown }).command, { form: 'shell', script: '["a", "b"' });
  assert.deepEqual((only('RUN [ "echo", "x" ]') as { command: unknown }).command, { form: 'exec', args: ['echo', 'x'] });
  assert.deepEqual((only('CMD []') as { command: unknown }).command, { form: 'exec', args: [] });
  fails('FROM a\nCMD ["a", 1]', 'DOCKERFILE_SYNTAX', /strings only/);
  assert.deepEqual((only('SHELL ["powershell", "-c"]') as { shell: unknown }).shell, ['powershell', '-c']);
  fails('FROM a\nSHELL powershell -c', 'DOCKERFILE_SYNTAX', /JSON form/);
});

test('RUN flags: mounts, network, security, unknown flag', () => {
  const run = only('RUN --mount=type=cache,target=/root/.cache,id=go,sharing=locked,mode=0755,uid=1,gid=2 ' +
    '--mount=type=bind,from=build,source=/out,target=/in,rw --mount=type=tmpfs,target=/t,size=64m ' +
    '--mount="type=secret,id=tok,target=/run/s,required=true,mode=0400" --mount=type=ssh,required ' +
    '--network=none --security=insecure make');
  assert.ok(run.kind === 'RUN');
  assert.equal(run.network, 'none');
  assert.equal(run.security, 'insecure');
  const [cache, bind, tmpfs, secret, ssh] = run.mounts;
  assert.deepEqual({ ...cache, raw: undefined }, { type: 'cache', raw: undefined, target: '/root/.cache', id: 'go', sharing: 'locked', mode: 0o755, uid: 1, gid: 2, readOnly: false, required: false });
  assert.deepEqual([bind?.type, bind?.from, bind?.source, bind?.target, bind?.readOnly], ['bind', 'build', '/out', '/in', false]);
  assert.deepEqual([tmpfs?.type, tmpfs?.sizeLimit, tmpfs?.readOnly], ['tmpfs', 64 * 1024 * 1024, false]);
  assert.deepEqual([secret?.type, secret?.id, secret?.target, secret?.required, secret?.mode, secret?.readOnly], ['secret', 'tok', '/run/s', true, 0o400, true]);
  assert.deepEqual([ssh?.type, ssh?.required], ['ssh', true]);
  fails('FROM a\nRUN --mount=type=cach,target=/x true', 'DOCKERFILE_MOUNT', /Unsupported mount type "cach".*did you mean cache/);
  fails('FROM a\nRUN --mount=type=bind,size=1 true', 'DOCKERFILE_MOUNT', /Unexpected key "size"/);
  fails('FROM a\nRUN --mount=type=cache,sharing=open,target=/x true', 'DOCKERFILE_MOUNT');
  fails('FROM a\nRUN --mount=type=bind,mode=0700,target=/x true', 'DOCKERFILE_MOUNT', /mode not allowed/);
  fails('FROM a\nRUN --mount=type=secret true', 'DOCKERFILE_MOUNT');
  fails('FROM a\nRUN --mount=type=bind,from=$X/y,target=/x true', 'DOCKERFILE_MOUNT', /variable expansion/);
  fails('FROM a\n\nRUN --network=bridge true', 'DOCKERFILE_FLAG', 'Dockerfile:3:1: ');
  fails('FROM a\nRUN --mout=type=bind true', 'DOCKERFILE_FLAG', /did you mean --mount\?/);
  fails('FROM a\nRUN --network true', 'DOCKERFILE_FLAG', /Missing a value/);
});

test('RUN --mount values with variables are kept for a later expanded parse', () => {
  const run = only('RUN --mount=type=cache,target=$DIR,uid=$UID true');
  assert.ok(run.kind === 'RUN');
  assert.equal(run.mounts[0]?.target, '$DIR');
  assert.equal(run.mounts[0]?.uid, undefined);
  assert.equal(run.mounts[0]?.raw, 'type=cache,target=$DIR,uid=$UID');
});

test('COPY and ADD flags and sources', () => {
  const copy = only('COPY --from=build --chown=app:app --chmod=0644 --link --parents --exclude=*.md --exclude=x a b /dst/');
  assert.ok(copy.kind === 'COPY');
  assert.deepEqual([copy.from, copy.chown, copy.chmod, copy.link, copy.parents, copy.exclude, copy.dest],
    ['build', 'app:app', '0644', true, true, ['*.md', 'x'], '/dst/']);
  assert.deepEqual(copy.sources, [{ kind: 'path', path: 'a' }, { kind: 'path', path: 'b' }]);
  const json = only('COPY ["a b", "/d e/"]');
  assert.ok(json.kind === 'COPY' && json.json);
  assert.deepEqual([json.sources, json.dest], [[{ kind: 'path', path: 'a b' }], '/d e/']);
  const add = only('ADD --checksum=sha256:abc --keep-git-dir=false --link=false https://x/y.tgz /');
  assert.ok(add.kind === 'ADD');
  assert.deepEqual([add.checksum, add.keepGitDir, add.link, add.unpack], ['sha256:abc', false, false, undefined]);
  fails('FROM a\nCOPY onlyone', 'DOCKERFILE_SYNTAX', /at least two arguments/);
  fails('FROM a\nCOPY --from=a --from=b x y', 'DOCKERFILE_FLAG', /Duplicate flag/);
  fails('FROM a\nADD --from=a x y', 'DOCKERFILE_FLAG', /Unknown flag "--from"/);
  fails('FROM a\nCOPY --link=maybe x y', 'DOCKERFILE_FLAG', /boolean/);
  fails('FROM a\nCOPY a <<EOF\nx\nEOF', 'DOCKERFILE_HEREDOC', /destination/);
});

test('heredocs: RUN, <<- tab stripping, quoted names, several per line, COPY to files', () => {
  const df = parseDockerfile([
    'FROM a',
    'RUN <<EOF',
    'echo $HOME',
    'EOF',
    'RUN <<-"END" python3 - && cat 3<<\'X\'',
    '\tprint(1)',
    '\tEND',
    'body',
    'X',
    'COPY <<a.txt <<b.txt /dir/',
    'A',
    'a.txt',
    'B',
    'b.txt',
    'COPY --chmod=755 <<-EOF /run.sh',
    '\t#!/bin/sh',
    '\t\techo',
    '\tEOF',
    'RUN ["echo", "<<EOF"]',
    'RUN echo done',
  ].join('\n'));
  const [r1, r2, c1, c2, r3, r4] = df.stages[0]?.instructions ?? [];
  assert.ok(r1?.kind === 'RUN');
  assert.deepEqual(r1.heredocs, [{ name: 'EOF', content: 'echo $HOME\n', chomp: false, expand: true, fileDescriptor: 0 }]);
  assert.deepEqual(r1.location, { file: 'Dockerfile', line: 2, column: 1, endLine: 4 });
  assert.ok(r2?.kind === 'RUN');
  assert.deepEqual(r2.heredocs.map((h) => [h.name, h.content, h.chomp, h.expand, h.fileDescriptor]),
    [['END', '\tprint(1)\n', true, false, 0], ['X', 'body\n', false, false, 3]]);
  assert.ok(c1?.kind === 'COPY');
  assert.deepEqual(c1.sources, [
    { kind: 'heredoc', name: 'a.txt', content: 'A\n', expand: true },
    { kind: 'heredoc', name: 'b.txt', content: 'B\n', expand: true },
  ]);
  assert.ok(c2?.kind === 'COPY');
  assert.deepEqual(c2.sources, [{ kind: 'heredoc', name: 'EOF', content: '#!/bin/sh\necho\n', expand: true }]);
  assert.equal(c2.chmod, '755');
  assert.ok(r3?.kind === 'RUN' && r3.heredocs.length === 0 && r3.command.form === 'exec');
  assert.ok(r4?.kind === 'RUN' && r4.location.line === 20);
});

test('unterminated heredoc is located at its instruction', () => {
  fails('FROM a\nRUN <<EOF\necho\n', 'DOCKERFILE_HEREDOC', 'Dockerfile:2:1: Unterminated heredoc "EOF"');
});

test('ENV and LABEL in both forms', () => {
  const env = only('ENV A=1 B="v 2" C=x\\ y');
  assert.ok(env.kind === 'ENV');
  assert.deepEqual(env.pairs, [
    { key: 'A', value: '1', legacy: false }, { key: 'B', value: '"v 2"', legacy: false }, { key: 'C', value: 'x\\ y', legacy: false },
  ]);
  const legacy = only('ENV PATH /usr/bin:$PATH  and more');
  assert.ok(legacy.kind === 'ENV');
  assert.deepEqual(legacy.pairs, [{ key: 'PATH', value: '/usr/bin:$PATH  and more', legacy: true }]);
  const label = only('LABEL "com.example.v"="1.0" description="a b"');
  assert.ok(label.kind === 'LABEL');
  assert.deepEqual(label.pairs.map((p) => [p.key, p.value]), [['"com.example.v"', '"1.0"'], ['description', '"a b"']]);
  fails('FROM a\nENV A', 'DOCKERFILE_SYNTAX', /must have two arguments/);
  fails('FROM a\nENV A=1 B', 'DOCKERFILE_SYNTAX', /can't find =/);
  fails('FROM a\nLABEL', 'DOCKERFILE_SYNTAX', /at least one argument/);
});

test('ARG with and without defaults, several per line', () => {
  const arg = only('ARG A B=2 C="x y"');
  assert.ok(arg.kind === 'ARG');
  assert.deepEqual(arg.args, [{ name: 'A' }, { name: 'B', default: '2' }, { name: 'C', default: '"x y"' }]);
  fails('FROM a\nARG =x', 'DOCKERFILE_SYNTAX', /blank/);
});

test('EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL, MAINTAINER', () => {
  const expose = only('EXPOSE 80/tcp 53/udp 8080');
  assert.ok(expose.kind === 'EXPOSE');
  assert.deepEqual(expose.ports, ['53/udp', '80/tcp', '8080']);
  const vol = only('VOLUME ["/a", "/b"]');
  assert.ok(vol.kind === 'VOLUME');
  assert.deepEqual(vol.volumes, ['/a', '/b']);
  const vol2 = only('VOLUME /a /b');
  assert.ok(vol2.kind === 'VOLUME' && vol2.volumes.length === 2);
  const workdir = only('WORKDIR /app dir');
  assert.ok(workdir.kind === 'WORKDIR');
  assert.equal(workdir.path, '/app dir');
  const user = only('USER app:app');
  assert.ok(user.kind === 'USER' && user.user === 'app:app');
  const sig = only('STOPSIGNAL SIGTERM');
  assert.ok(sig.kind === 'STOPSIGNAL' && sig.signal === 'SIGTERM');
  const m = only('MAINTAINER Jane <j@x>');
  assert.ok(m.kind === 'MAINTAINER' && m.maintainer === 'Jane <j@x>');
  fails('FROM a\nWORKDIR', 'DOCKERFILE_SYNTAX', /exactly one argument/);
  fails('FROM a\nEXPOSE', 'DOCKERFILE_SYNTAX');
  fails('FROM a\nVOLUME [""]', 'DOCKERFILE_SYNTAX', /empty string/);
  fails('FROM a\nUSER --x=1 app', 'DOCKERFILE_FLAG');
});

test('HEALTHCHECK: NONE, CMD forms and duration flags in nanoseconds', () => {
  const none = only('HEALTHCHECK NONE');
  assert.ok(none.kind === 'HEALTHCHECK');
  assert.deepEqual(none.health.test, ['NONE']);
  const hc = only('HEALTHCHECK --interval=1m30s --timeout=5s --start-period=1.5s --start-interval=500ms --retries=3 CMD curl -f http://x/ || exit 1');
  assert.ok(hc.kind === 'HEALTHCHECK');
  assert.deepEqual(hc.health, {
    test: ['CMD-SHELL', 'curl -f http://x/ || exit 1'], interval: 90e9, timeout: 5e9, startPeriod: 1.5e9, startInterval: 5e8, retries: 3,
  });
  const exec = only('HEALTHCHECK CMD ["/bin/check", "-q"]');
  assert.ok(exec.kind === 'HEALTHCHECK');
  assert.deepEqual(exec.health.test, ['CMD', '/bin/check', '-q']);
  assert.equal(exec.health.interval, 0);
  fails('FROM a\nHEALTHCHECK NONE x', 'DOCKERFILE_SYNTAX', /takes no arguments/);
  fails('FROM a\nHEALTHCHECK CMD', 'DOCKERFILE_SYNTAX', /Missing command/);
  fails('FROM a\nHEALTHCHECK RUN x', 'DOCKERFILE_SYNTAX', /try CMD/);
  fails('FROM a\nHEALTHCHECK --interval=10 CMD x', 'DOCKERFILE_FLAG');
  fails('FROM a\nHEALTHCHECK --interval=10us CMD x', 'DOCKERFILE_FLAG', /less than 1ms/);
  fails('FROM a\nHEALTHCHECK --retries=-1 CMD x', 'DOCKERFILE_FLAG', /negative/);
  fails('FROM a\nHEALTHCHECK --foo=1 CMD x', 'DOCKERFILE_FLAG');
});

test('ONBUILD wraps another instruction and refuses ONBUILD, FROM and MAINTAINER', () => {
  const ob = only('ONBUILD COPY --chown=1 . /app');
  assert.ok(ob.kind === 'ONBUILD');
  assert.equal(ob.expression, 'COPY --chown=1 . /app');
  assert.ok(ob.trigger.kind === 'COPY' && ob.trigger.chown === '1');
  const hd = parseDockerfile('FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\n').stages[0]?.instructions[0];
  assert.ok(hd?.kind === 'ONBUILD');
  assert.equal(hd.expression, 'RUN <<EOF\necho hi\nEOF');
  fails('FROM a\nONBUILD ONBUILD RUN x', 'DOCKERFILE_SYNTAX', /Chaining ONBUILD/);
  fails('FROM a\nONBUILD FROM x', 'DOCKERFILE_SYNTAX', /FROM isn't allowed/);
  fails('FROM a\nONBUILD MAINTAINER x', 'DOCKERFILE_SYNTAX', /MAINTAINER isn't allowed/);
  fails('FROM a\nONBUILD RUNN x', 'DOCKERFILE_UNKNOWN_INSTRUCTION', 'Dockerfile:2:1: ');
});

test('flags: quotes removed, `--` ends flags, original kept for cache keys', () => {
  const run = only('RUN --network="host" -- --not-a-flag');
  assert.ok(run.kind === 'RUN' && run.network === 'host');
  assert.deepEqual(run.command, { form: 'shell', script: '--not-a-flag' });
  assert.equal(run.original, 'RUN --network="host" -- --not-a-flag');
  assert.deepEqual(run.flags, ['--network=host']);
});

// Found by the parser's fuzz target (BERTH_FUZZ_SECONDS=600, seed 19828837): a heredoc opener whose
// name the lexer cannot read threw a plain Error instead of a located Dockerfile error.
test('an unreadable heredoc name is a Dockerfile error naming its place', () => {
  assert.throws(() => parseDockerfile('COPY \\\nFROM <<-"EOF"\\\n\'', { file: 'Dockerfile' }), {
    code: 'BERTH_E_DOCKERFILE_HEREDOC',
    message: /^Dockerfile:1:1: invalid heredoc name/,
  });
});
