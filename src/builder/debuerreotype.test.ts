// The parts of the Debian recipe that need no archive: the sources file the image ships (what
// debuerreotype-debian-sources-list writes, on our archive) and the image's OCI platform.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ociPlatform } from './bootstrap-debian.js';
import { sourcesList } from './debuerreotype.js';

const main = { suite: 'bookworm', mirror: 'http://deb.debian.org/debian' };
const extra = [{ suite: 'bookworm-updates', mirror: 'http://deb.debian.org/debian' }, { suite: 'bookworm-security', mirror: 'http://deb.debian.org/debian-security' }];

test('deb822 sources group suites by archive, as the official bookworm image has them', () => {
  assert.equal(sourcesList(main, extra, true, '/usr/share/keyrings/debian-archive-keyring.gpg'), [
    'Types: deb', 'URIs: http://deb.debian.org/debian', 'Suites: bookworm bookworm-updates', 'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', '',
    'Types: deb', 'URIs: http://deb.debian.org/debian-security', 'Suites: bookworm-security', 'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg', '',
  ].join('\n'));
});

test('one-line sources for APT before 2.3, one line a suite; no Signed-By without a keyring', () => {
  assert.equal(sourcesList({ suite: 'bullseye', mirror: 'http://m/debian' }, [{ suite: 'bullseye-security', mirror: 'http://m/debian-security' }], false, undefined),
    'deb http://m/debian bullseye main\ndeb http://m/debian-security bullseye-security main\n');
  assert.doesNotMatch(sourcesList({ suite: 'sid', mirror: 'http://m/debian' }, [], true, undefined), /Signed-By/);
});

test('Debian architectures map to OCI platforms', () => {
  assert.deepEqual(ociPlatform('amd64'), { architecture: 'amd64' });
  assert.deepEqual(ociPlatform('i386'), { architecture: '386' });
  assert.deepEqual(ociPlatform('arm64'), { architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(ociPlatform('armhf'), { architecture: 'arm', variant: 'v7' });
  assert.deepEqual(ociPlatform('ppc64el'), { architecture: 'ppc64le' });
});
