/**
 * Checks a manifest and an image config read from the content store against the shape berth
 * relies on, so that a hostile or broken image (today an imported one, later a pulled or loaded
 * one) is refused with a DataLoss BerthError naming the blob, instead of a TypeError deep inside
 * unpacking or spec building.
 */
import type { Digest } from '../../base/index.js';
import { errors } from '../../base/index.js';
import type { ImageConfig, Manifest } from '../../oci/index.js';

const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isDigest = (v: unknown): v is Digest => typeof v === 'string' && digestPattern.test(v);
const isDescriptor = (v: unknown): boolean => isObject(v) && isDigest(v.digest) && typeof v.mediaType === 'string' && Number.isSafeInteger(v.size) && (v.size as number) >= 0;

export function validateManifest(value: unknown, digest: Digest): Manifest {
  const invalid = (why: string) => errors.dataLoss('IMAGE_MANIFEST_INVALID', `Cannot use manifest "${digest}": ${why}`);
  if (!isObject(value)) throw invalid('it is not a JSON object');
  if (value.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  if (!isDescriptor(value.config)) throw invalid('its config is not a descriptor (mediaType, digest, size)');
  if (!Array.isArray(value.layers) || !value.layers.every(isDescriptor)) throw invalid('its layers are not a list of descriptors');
  return value as unknown as Manifest;
}

const stringFields = ['User', 'WorkingDir', 'StopSignal'] as const;
const listFields = ['Env', 'Shell'] as const;
const nullableListFields = ['Entrypoint', 'Cmd', 'OnBuild'] as const;
const mapFields = ['ExposedPorts', 'Volumes'] as const;

export function validateConfig(value: unknown, digest: Digest, manifest: Manifest): ImageConfig {
  const invalid = (why: string) => errors.dataLoss('IMAGE_CONFIG_INVALID', `Cannot use image config "${digest}": ${why}`);
  if (!isObject(value)) throw invalid('it is not a JSON object');
  if (!isObject(value.rootfs) || value.rootfs.type !== 'layers' || !Array.isArray(value.rootfs.diff_ids) || !value.rootfs.diff_ids.every(isDigest)) {
    throw invalid('rootfs must be {"type": "layers", "diff_ids": [digests]}');
  }
  if (value.rootfs.diff_ids.length !== manifest.layers.length) throw invalid(`it lists ${value.rootfs.diff_ids.length} layers where the manifest has ${manifest.layers.length}`);
  for (const key of ['architecture', 'os'] as const) if (typeof value[key] !== 'string') throw invalid(`${key} must be a string`);
  // OCI makes the runtime part optional; berth reads it everywhere, so an absent one is empty
  const config = value.config ?? {};
  if (!isObject(config)) throw invalid('config must be an object');
  for (const key of stringFields) if (config[key] !== undefined && typeof config[key] !== 'string') throw invalid(`config.${key} must be a string`);
  for (const key of listFields) if (config[key] !== undefined && config[key] !== null && !isStrings(config[key])) throw invalid(`config.${key} must be a list of strings`);
  for (const key of nullableListFields) if (config[key] !== undefined && config[key] !== null && !isStrings(config[key])) throw invalid(`config.${key} must be a list of strings or null`);
  for (const key of mapFields) if (config[key] !== undefined && config[key] !== null && !isObject(config[key])) throw invalid(`config.${key} must be an object`);
  if (config.Labels !== undefined && config.Labels !== null && !(isObject(config.Labels) && Object.values(config.Labels).every((v) => typeof v === 'string'))) {
    throw invalid('config.Labels must map names to strings');
  }
  if (config.Healthcheck !== undefined && config.Healthcheck !== null && !(isObject(config.Healthcheck) && (config.Healthcheck.Test === undefined || isStrings(config.Healthcheck.Test)))) {
    throw invalid('config.Healthcheck must be an object whose Test is a list of strings');
  }
  return { ...value, config } as unknown as ImageConfig;
}
