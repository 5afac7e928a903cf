import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { decodeEvent, encodeEvent, makeEvent, matchesEventFilters, nowNano, parseEventFilters } from './index.js';

/** Observed from dockerd 20.10.24 (`docker events --format '{{json .}}'` during `docker run --label k=v ...`). */
const observedCreate = '{"status":"create","id":"e85164b5417c8087f87af5af87cb7a0f00c20f0a299e1a49cf9739aa8946f6cd","from":"berth-test/format:1","Type":"container","Action":"create","Actor":{"ID":"e85164b5417c8087f87af5af87cb7a0f00c20f0a299e1a49cf9739aa8946f6cd","Attributes":{"image":"berth-test/format:1","k":"v","name":"cli10ev"}},"scope":"local","time":1796003109,"timeNano":1796003109632777030}';
const observedVolume = '{"Type":"volume","Action":"create","Actor":{"ID":"cli10v","Attributes":{"driver":"local"}},"scope":"local","time":1796003112,"timeNano":1796003112114690286}';
const observedTag = '{"status":"tag","id":"sha256:fc65046febe7b3fb008bde6ae55824f1964ea9c8a294df054646435a13e17bb3","Type":"image","Action":"tag","Actor":{"ID":"sha256:fc65046febe7b3fb008bde6ae55824f1964ea9c8a294df054646435a13e17bb3","Attributes":{"name":"cli10/x:1"}},"scope":"local","time":1796003112,"timeNano":1796003112074987906}';

describe('events', () => {
  test('makeEvent writes exactly the line dockerd 20.10 sends, legacy fields and sorted attributes included', () => {
    const id = 'e85164b5417c8087f87af5af87cb7a0f00c20f0a299e1a49cf9739aa8946f6cd';
    assert.equal(encodeEvent(makeEvent('container', 'create', id, { name: 'cli10ev', k: 'v', image: 'berth-test/format:1' }, 1796003109632777030n)), observedCreate);
    assert.equal(encodeEvent(makeEvent('volume', 'create', 'cli10v', { driver: 'local' }, 1796003112114690286n)), observedVolume);
    const image = 'sha256:fc65046febe7b3fb008bde6ae55824f1964ea9c8a294df054646435a13e17bb3';
    assert.equal(encodeEvent(makeEvent('image', 'tag', image, { name: 'cli10/x:1' }, 1796003112074987906n)), observedTag);
  });

  test('decode keeps timeNano exact and refuses torn lines', () => {
    const event = decodeEvent(observedCreate);
    assert.equal(event?.timeNano, 1796003109632777030n);
    assert.equal(event && encodeEvent(event), observedCreate);
    assert.equal(decodeEvent(observedCreate.slice(0, 60)), undefined);
    assert.equal(decodeEvent('{"foo":1}'), undefined);
  });

  test('nowNano is strictly increasing', () => {
    const a = nowNano();
    const b = nowNano();
    assert.ok(b > a);
  });

  test('filters: values of a key OR-ed, keys AND-ed, labels all required, names by prefix, images with or without tag', () => {
    const create = decodeEvent(observedCreate)!;
    const volume = decodeEvent(observedVolume)!;
    const tag = decodeEvent(observedTag)!;
    const match = (e: typeof create, ...f: string[]) => matchesEventFilters(e, parseEventFilters(f));
    assert.ok(match(create));
    assert.ok(match(create, 'type=container', 'type=image'));
    assert.ok(!match(volume, 'type=container', 'type=image'));
    assert.ok(match(create, 'event=create', 'container=cli10'));
    assert.ok(match(create, 'container=e85164'));
    assert.ok(!match(create, 'container=other'));
    assert.ok(!match(volume, 'container=cli10ev'));
    assert.ok(match(volume, 'volume=cli10v'));
    assert.ok(match(create, 'image=berth-test/format'));
    assert.ok(match(create, 'image=berth-test/format:1'));
    assert.ok(match(tag, 'image=cli10/x'));
    assert.ok(!match(create, 'image=berth-test/form'));
    assert.ok(match(create, 'label=k'));
    assert.ok(match(create, 'label=k=v'));
    assert.ok(!match(create, 'label=k=w'));
    assert.ok(!match(create, 'label=k', 'label=other'));
    assert.ok(!match(create, 'event=start'));
  });

  test('filters: an unknown key or a filter without = is refused', () => {
    assert.throws(() => parseEventFilters(['foo=bar']), /Invalid filter 'foo'/);
    assert.throws(() => parseEventFilters(['nofilter']), /bad format of filter "nofilter" \(expected name=value\)/);
  });
});
