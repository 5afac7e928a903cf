import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GoFloat } from './go-template-parser.js';
import { formatFloat, formatValue, sprintf } from './go-template-print.js';

test('Sprintf follows Go\'s verbs, flags, width and precision', () => {
  assert.equal(sprintf('%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%c|%q', [42, 42, 42, 42, 255, 255, 8, 5, 0x263a, 65]), '   42|42   |00042|+42|ff|FF|10|101|☺|\'A\'');
  assert.equal(sprintf('%s|%10s|%-10s|%.2s|%q|%x', ['ab', 'ab', 'ab', 'abc', 'a"b', 'hi']), 'ab|        ab|ab        |ab|"a\\"b"|6869');
  assert.equal(sprintf('%.2f|%8.3f|%e|%g|%v', [new GoFloat(3.14159), new GoFloat(-2.5), new GoFloat(1234.5678), new GoFloat(0.00001), 1.5]),
    '3.14|  -2.500|1.234568e+03|1e-05|1.5');
  assert.equal(sprintf('%v|%v|%t|%T|%%', [['a', 'b'], { k: 'v' }, true, 3]), '[a b]|map[k:v]|true|int|%');
});

test('Sprintf reports bad verbs, missing and extra arguments in band, as Go does', () => {
  assert.equal(sprintf('%d %s', ['x']), '%!d(string=x) %!s(MISSING)');
  assert.equal(sprintf('%d', [1, 'a', 2]), '1%!(EXTRA string=a, int=2)');
  assert.equal(sprintf('%t|%d', [1, null]), '%!t(int=1)|%!d(<nil>)');
});

test('floats print as Go\'s %v: shortest digits, exponent from 1e6 and below 1e-4', () => {
  assert.deepEqual([1e6, 123456, 0.0001, 0.00001, 1.5e300, -2.25, 0].map(formatFloat), ['1e+06', '123456', '0.0001', '1e-05', '1.5e+300', '-2.25', '0']);
  assert.equal(formatValue(new GoFloat(3)), '3');
});
