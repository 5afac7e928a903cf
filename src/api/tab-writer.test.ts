/**
 * Go's text/tabwriter with Docker's settings (minwidth 10, padding 3); the recorded `table`
 * fixtures in docker-format.test.ts check the same against the docker CLI.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tabwrite } from './tab-writer.js';

test('columns are as wide as their widest cell plus 3, at least 10; the last cell is not padded', () => {
  assert.equal(tabwrite('A\tB\tC\nlong-cell-value\tx\ty\n'), 'A                 B         C\nlong-cell-value   x         y\n');
});

test('a line without a cell in a column ends that column\'s block', () => {
  assert.equal(tabwrite('aaaaaaaaaaaa\tb\nno tabs here\nc\td\n'), 'aaaaaaaaaaaa   b\nno tabs here\nc         d\n');
});

test('empty cells still take the column\'s width, widths count characters not bytes', () => {
  assert.equal(tabwrite('x\t\ty\nééé\tz\tw\n'), 'x                   y\nééé       z         w\n');
});

test('text without a final newline is written as is', () => {
  assert.equal(tabwrite('a\tb'), 'a         b');
});
