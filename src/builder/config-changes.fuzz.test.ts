// Fuzz target: `--change` instructions (import, later commit). On any instruction text
// applyConfigChanges returns a config or throws an InvalidArgument BerthError, never another
// exception; the config it returns has the types the image config needs (lists of strings, string
// maps). On the earlier cli/changes.ts it found that `VOLUME [` crashed with a SyntaxError.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { applyConfigChanges } from './config-changes.js';
import { fc, fuzzParameters, fuzzTimeout, withinMs } from '../testing/index.js';

const keyword = fc.constantFrom('CMD', 'cmd', 'ENTRYPOINT', 'ENV', 'LABEL', 'WORKDIR', 'USER', 'STOPSIGNAL', 'EXPOSE', 'VOLUME', 'ONBUILD', 'HEALTHCHECK', 'RUN', 'FROM', '# escape=`', '');
const arg = fc.oneof(
  fc.constantFrom('[', ']', '["sh"]', '["a",1]', '[1]', '{}', 'null', '"', "'", '=', 'A=1', 'A="x y"', "B='z'", 'A', '=v', '80', '53/udp', 'abc', '/app', 'rel', '\\', '\\"', '$X', '${X:-d}', '<<EOF', '--interval=5s', 'NONE', '8000-8002', '80/tcp/x'),
  fc.string({ maxLength: 8 }),
  fc.json({ maxDepth: 2 }),
);
const change = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(keyword, fc.array(arg, { maxLength: 4 }), fc.constantFrom(' ', '\t', '\n', '  ')).map(([k, a, sep]) => `${k}${sep}${a.join(' ')}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

test('--change instructions give a well-typed config or an InvalidArgument BerthError', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(fc.array(change, { minLength: 1, maxLength: 4 }), (changes) => {
    let config;
    try {
      config = withinMs(2000, 'applyConfigChanges', () => applyConfigChanges({ Env: ['PATH=/bin'] }, changes));
    } catch (err) {
      if (isBerthError(err, 'InvalidArgument')) return;
      throw err;
    }
    for (const list of [config.Cmd, config.Entrypoint, config.Env]) assert.ok(list === undefined || list === null || isStrings(list), JSON.stringify(changes));
    for (const map of [config.Volumes, config.ExposedPorts]) assert.ok(map === undefined || Object.keys(map).every((k) => typeof k === 'string' && k !== ''), JSON.stringify(changes));
    assert.ok(config.Labels === undefined || Object.values(config.Labels).every((v) => typeof v === 'string'), JSON.stringify(changes));
  }), fuzzParameters(3000));
});
