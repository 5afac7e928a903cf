// Fuzz target: the OCI manifest and image config readers (resolveImage over a real content store).
// Whatever JSON (or not JSON) a manifest and its config hold, resolveImage either returns an image
// whose fields have the types berth relies on, or fails with a BerthError. It found that any
// manifest without a config descriptor (`null`, `{}`, a list) crashed it with a TypeError, and
// that configs were never checked at all.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { isBerthError } from '../../base/index.js';
import type { Descriptor } from '../../oci/index.js';
import { createLocalContentStore } from '../../plugins/content-local/index.js';
import { resolveImage } from './index.js';
import { fc, fuzzParameters, fuzzTimeout, tempDir } from '../../testing/index.js';

const digest = fc.oneof(
  fc.constant(`sha256:${'0'.repeat(64)}`),
  fc.constantFrom('sha256:', 'sha256:xyz', 'nocolon', '', 'sha512:00'),
  fc.anything(),
);
const descriptor = fc.oneof(
  { weight: 4, arbitrary: fc.record({ mediaType: fc.oneof(fc.constant('application/vnd.oci.image.layer.v1.tar'), fc.anything()), digest, size: fc.oneof(fc.nat(), fc.anything()) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.anything() },
);
const strings = fc.oneof({ weight: 3, arbitrary: fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }) }, { weight: 1, arbitrary: fc.anything() });
const runtimeConfig = fc.oneof(
  { weight: 4, arbitrary: fc.record({ Env: strings, Cmd: strings, Entrypoint: strings, WorkingDir: fc.oneof(fc.string(), fc.anything()), User: fc.anything(), Labels: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()), ExposedPorts: fc.anything(), Volumes: fc.anything(), Healthcheck: fc.anything() }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.anything() },
);
const imageConfig = fc.oneof(
  { weight: 4, arbitrary: fc.record({ architecture: fc.oneof(fc.constant('amd64'), fc.anything()), os: fc.oneof(fc.constant('linux'), fc.anything()), config: runtimeConfig, rootfs: fc.oneof(fc.record({ type: fc.oneof(fc.constant('layers'), fc.anything()), diff_ids: fc.oneof(fc.array(digest, { maxLength: 3 }), fc.anything()) }, { requiredKeys: [] }), fc.anything()) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.anything() },
);
const manifest = fc.oneof(
  { weight: 4, arbitrary: fc.record({ schemaVersion: fc.oneof(fc.constant(2), fc.anything()), mediaType: fc.anything(), layers: fc.oneof(fc.array(descriptor, { maxLength: 3 }), fc.anything()) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.anything() },
);
const blob = <T>(json: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: json.map((v) => Buffer.from(JSON.stringify(v) ?? 'undefined')) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)) });

const isStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');

test('manifests and configs of any shape resolve to well-typed images or fail with a BerthError', { timeout: fuzzTimeout() }, async () => {
  const dir = tempDir('berth-fuzz-resolve-');
  try {
    const store = createLocalContentStore(join(dir, 'content'));
    await fc.assert(fc.asyncProperty(blob(imageConfig), manifest, fc.boolean(), async (configBlob, m, linkConfig) => {
      const configInfo = await store.put(configBlob);
      // most manifests point at the generated config; some at whatever the generator gave
      const withConfig = linkConfig && typeof m === 'object' && m !== null && !Array.isArray(m)
        ? { ...m, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configInfo.digest, size: configInfo.size } }
        : m;
      const manifestInfo = await store.put(Buffer.from(JSON.stringify(withConfig) ?? 'null'));
      const target: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestInfo.digest, size: manifestInfo.size };
      let image;
      try {
        image = await resolveImage(store, target);
      } catch (err) {
        if (isBerthError(err)) return;
        throw err;
      }
      assert.equal(typeof image.manifest.config.digest, 'string');
      assert.ok(Array.isArray(image.manifest.layers));
      assert.equal(image.config.rootfs.diff_ids.length, image.manifest.layers.length);
      assert.ok(image.config.rootfs.diff_ids.every((d) => typeof d === 'string'));
      const c = image.config.config;
      assert.ok(typeof c === 'object' && c !== null);
      for (const list of [c.Env, c.Cmd, c.Entrypoint]) assert.ok(list === undefined || list === null || isStrings(list));
    }), fuzzParameters(300));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
