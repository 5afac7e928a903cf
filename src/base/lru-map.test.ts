import assert from 'node:assert/strict';
import { test } from 'node:test';

import { LruMap } from './lru-map.js';

test('an LruMap keeps at most its capacity, dropping the least recently used entry', () => {
  const lru = new LruMap<string, number>(3);
  lru.set('a', 1).set('b', 2).set('c', 3);
  assert.equal(lru.get('a'), 1); // a is now the most recently used: b is the oldest
  lru.set('d', 4);
  assert.equal(lru.size, 3);
  assert.equal(lru.has('b'), false);
  assert.deepEqual(['a', 'c', 'd'].map((k) => lru.get(k)), [1, 3, 4]);
  lru.set('c', 30); // rewriting refreshes too: a is now the oldest
  lru.set('e', 5);
  assert.equal(lru.has('a'), false);
  assert.equal(lru.get('c'), 30);
  assert.equal(lru.get('missing'), undefined);
  for (let i = 0; i < 1000; i++) lru.set(`k${i}`, i);
  assert.equal(lru.size, 3);
  assert.deepEqual(['k997', 'k998', 'k999'].map((k) => lru.get(k)), [997, 998, 999]);
  assert.equal(lru.delete('k998'), true);
  assert.equal(lru.size, 2);
  assert.throws(() => new LruMap(0), RangeError);
});
