import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { explainMiss } from './build-image.js';
import { parseDockerfile } from './dockerfile/index.js';
import type { RunInstruction } from './dockerfile/index.js';
import { runArgs } from './run-step.js';
import { planStages } from './stage-plan.js';
import type { ArgScope, StageState } from './stage-state.js';
import { applyConfigInstruction, runEnv } from './stage-state.js';

const plan = (text: string, options: { buildArgs?: Record<string, string>; target?: string } = {}) =>
  planStages(parseDockerfile(text), { buildArgs: options.buildArgs ?? {}, target: options.target });

function emptyState(): StageState {
  return { config: {}, architecture: 'amd64', os: 'linux', layers: [], diffIds: [], history: [], args: new Map(), cmdSet: false, key: 'k', escape: '\\' };
}

describe('planStages', () => {
  const multi = `ARG BASE=img:1
FROM \${BASE} AS a
FROM a AS b
FROM img:2 AS unused
FROM scratch AS c
COPY --from=b /x /x
COPY --from=0 /y /y
`;

  test('the target needs its base and COPY --from stages, not unused ones', () => {
    const p = plan(multi);
    assert.equal(p.target, 3);
    assert.deepEqual([...p.needed].sort(), [0, 1, 3]);
    assert.deepEqual(p.bases, [{ image: 'img:1' }, { stage: 0 }, { image: 'img:2' }, { scratch: true }]);
  });

  test('--target picks a stage by name; --build-arg overrides a global ARG', () => {
    const p = plan(multi, { target: 'A', buildArgs: { BASE: 'other:3' } });
    assert.equal(p.target, 0);
    assert.deepEqual([...p.needed], [0]);
    assert.deepEqual(p.bases[0], { image: 'other:3' });
  });

  test('an unknown target is NotFound', () => {
    assert.throws(() => plan(multi, { target: 'nope' }), { code: 'BERTH_E_BUILD_TARGET_NOT_FOUND' });
  });

  test('FROM may use the automatic platform args', () => {
    const p = plan('FROM --platform=$BUILDPLATFORM img-$TARGETARCH\n');
    // Go's architecture names, which Docker uses: not derived from the code under test.
    const goArch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[process.arch];
    assert.ok(goArch, `a known architecture: ${process.arch}`);
    assert.deepEqual(p.bases[0], { image: `img-${goArch}` });
  });
});

describe('stage config', () => {
  const scope: ArgScope = { buildArgs: { OVERRIDE: 'cli', HTTP_PROXY: 'http://p' }, meta: new Map([['GLOBAL', 'g']]), automatic: { TARGETOS: 'linux' } };
  const apply = (state: StageState, text: string) => {
    for (const ins of parseDockerfile(`FROM x\n${text}`).stages[0]?.instructions ?? []) applyConfigInstruction(state, ins, scope);
  };

  test('ARG values: --build-arg, default, global, automatic; ENV wins in RUN; proxies pass through', () => {
    const s = emptyState();
    apply(s, 'ARG OVERRIDE=default\nARG PLAIN=p\nARG GLOBAL\nARG TARGETOS\nENV PLAIN=from-env\n');
    assert.deepEqual(runEnv(s, scope).sort(), ['GLOBAL=g', 'HTTP_PROXY=http://p', 'OVERRIDE=cli', 'PLAIN=from-env', 'TARGETOS=linux']);
    assert.deepEqual(s.config.Env, ['PLAIN=from-env']);
  });

  test('ENV on one line sees the values from before the line', () => {
    const s = emptyState();
    apply(s, 'ENV A=1\nENV A=2 B=$A\n');
    assert.deepEqual(s.config.Env, ['A=2', 'B=1']);
  });

  test('ENTRYPOINT clears an inherited CMD but keeps one set in the stage', () => {
    const inherited = emptyState();
    inherited.config.Cmd = ['sh'];
    apply(inherited, 'ENTRYPOINT ["/bin/echo"]\n');
    assert.equal(inherited.config.Cmd, null);
    const own = emptyState();
    apply(own, 'CMD ["hi"]\nENTRYPOINT ["/bin/echo"]\n');
    assert.deepEqual(own.config.Cmd, ['hi']);
  });

  test('EXPOSE ranges and protocols, LABEL and VOLUME expansion, SHELL for shell forms', () => {
    const s = emptyState();
    apply(s, 'ARG P=8000\nEXPOSE $P-8001/tcp 53/UDP\nLABEL "a b"=$P\nVOLUME /v$P\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n');
    assert.deepEqual(Object.keys(s.config.ExposedPorts ?? {}).sort(), ['53/udp', '8000/tcp', '8001/tcp']);
    assert.deepEqual(s.config.Labels, { 'a b': '8000' });
    assert.deepEqual(s.config.Volumes, { '/v8000': {} });
    assert.deepEqual(s.config.Cmd, ['/bin/bash', '-c', 'echo hi']);
  });
});

describe('RUN arguments', () => {
  const run = (text: string) => parseDockerfile(`FROM x\n${text}`).stages[0]?.instructions[0] as RunInstruction;

  test('shell and exec forms', () => {
    assert.deepEqual(runArgs(emptyState(), run('RUN echo $HOME\n')).args, ['/bin/sh', '-c', 'echo $HOME']);
    assert.deepEqual(runArgs(emptyState(), run('RUN ["echo", "$HOME"]\n')).args, ['echo', '$HOME']);
  });

  test('heredocs: a lone heredoc is the script; a shebang makes it a file; otherwise the shell reads them', () => {
    assert.deepEqual(runArgs(emptyState(), run('RUN <<EOF\necho a\nEOF\n')).args, ['/bin/sh', '-c', 'echo a\n']);
    const script = runArgs(emptyState(), run('RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n'));
    assert.equal(script.script?.content, '#!/usr/bin/env python3\nprint(1)\n');
    assert.deepEqual(runArgs(emptyState(), run('RUN <<EOF sh\necho b\nEOF\n')).args, ['/bin/sh', '-c', '<<EOF sh\necho b\nEOF\n']);
  });
});

describe('explainMiss', () => {
  test('names the inputs that changed', () => {
    const before = { label: '[2/3] COPY a /a', key: 'x', inputs: { sources: '1', dest: '/a' } };
    assert.match(explainMiss('[2/3] COPY a /a', { sources: '2', dest: '/a' }, before), /changed: sources$/);
    assert.match(explainMiss('[2/3] COPY b /a', { sources: '2', dest: '/a' }, before), /instruction changed/);
    assert.match(explainMiss('[2/3] COPY a /a', { sources: '2' }, undefined), /no earlier build/);
  });
});
