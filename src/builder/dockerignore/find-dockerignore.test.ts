import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDockerignore } from './find-dockerignore.js';

test('findDockerignore prefers <Dockerfile>.dockerignore beside the Dockerfile', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-dockerignore-'));
  try {
    assert.equal(await findDockerignore(dir, 'Dockerfile'), undefined);
    await writeFile(join(dir, '.dockerignore'), 'root\n');
    assert.equal((await findDockerignore(dir, 'Dockerfile'))?.text, 'root\n');
    assert.equal((await findDockerignore(dir))?.path, join(dir, '.dockerignore'));
    await mkdir(join(dir, 'build'));
    await writeFile(join(dir, 'build', 'app.Dockerfile.dockerignore'), 'specific\n');
    const found = await findDockerignore(dir, 'build/app.Dockerfile');
    assert.deepEqual(found, { path: join(dir, 'build', 'app.Dockerfile.dockerignore'), text: 'specific\n' });
    assert.equal((await findDockerignore(dir, 'build/other.Dockerfile'))?.text, 'root\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
