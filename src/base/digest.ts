import { createHash } from 'node:crypto';

import { errors } from './errors.js';

/** A content digest in OCI form: `sha256:<64 lowercase hex>`. */
export type Digest = `sha256:${string}`;

const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: string): value is Digest {
  return digestPattern.test(value);
}

export function parseDigest(value: string): Digest {
  if (!isDigest(value)) throw errors.invalidArgument('INVALID_DIGEST', `Invalid digest "${value}": expected sha256:<64 hex digits>`);
  return value;
}

export function sha256(data: string | Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part of a digest. */
export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}
