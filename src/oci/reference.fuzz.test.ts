// Fuzz target: image reference parsing. Valid references round-trip (their full and familiar
// forms parse back to the same reference), and on strings built from the pieces references are
// made of, parseReference accepts exactly what the distribution grammar
// (github.com/distribution/reference, regexp.go) accepts, with sha256 as the only digest
// algorithm berth stores. It found that registries were not checked (`A_B/c`; fixed on main at
// the same time) and that the 255-character limit was applied to the whole input (tag included)
// rather than to the normalised name, so a reference's own full form could fail to parse.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isBerthError } from '../base/index.js';
import { parseReference } from './reference.js';
import { fc, fuzzParameters, fuzzTimeout } from '../testing/index.js';

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const grammar = new RegExp(`^((?:${host}(?::[0-9]+)?/)?${pathComponent}(?:/${pathComponent})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`);

/** The grammar, with Docker's rule for which first component is a domain (splitDockerDomain). */
function grammarAccepts(input: string): boolean {
  const m = grammar.exec(input);
  if (m === null) return false;
  const name = m[1] as string;
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const isDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  const path = isDomain ? name.slice(slash + 1) : name;
  // the 255-character limit applies to the normalised name: docker.io/library/<path>
  const normalised = isDomain ? name : `docker.io/${path.includes('/') ? '' : 'library/'}${path}`;
  if (normalised.length > 255) return false;
  return new RegExp(`^${pathComponent}(?:/${pathComponent})*$`).test(path) && (!isDomain || new RegExp(`^${host}(?::[0-9]+)?$`).test(first));
}

const hex64 = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
const piece = fc.constantFrom('a', 'b', 'A', 'ab', 'a.b', 'a_b', 'a__b', 'a___b', 'a-b', 'a--b', '-a', 'a-', '_a', '.a', 'a.', 'a..b',
  'localhost', '127.0.0.1', '[::1]', '[zz]', 'Host', 'A_B', '5000', '/', '/', ':', ':', '@', 'latest', 'v1.0', '-tag', '.tag',
  `sha256:${hex64}`, 'sha256:bad', `sha512:${hex64}${hex64}`, '', 'x'.repeat(120));
const candidate = fc.array(piece, { minLength: 1, maxLength: 7 }).map((p) => p.join(''));

test('parseReference accepts exactly what the distribution grammar accepts', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(candidate, (input) => {
    let accepted: boolean;
    try {
      parseReference(input);
      accepted = true;
    } catch (err) {
      if (!isBerthError(err, 'InvalidArgument')) throw err;
      accepted = false;
    }
    assert.equal(accepted, grammarAccepts(input), input);
  }), fuzzParameters(5000));
});

test('valid references round-trip through their full and familiar forms', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(candidate.filter(grammarAccepts), (input) => {
    const ref = parseReference(input);
    assert.deepEqual(parseReference(ref.full), ref);
    assert.deepEqual(parseReference(ref.familiar), ref);
  }), fuzzParameters(2000));
});

test('arbitrary strings never throw anything but InvalidArgument', { timeout: fuzzTimeout() }, () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (input) => {
    try {
      parseReference(input);
    } catch (err) {
      if (!isBerthError(err, 'InvalidArgument')) throw err;
    }
  }), fuzzParameters(3000));
});
