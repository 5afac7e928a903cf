/**
 * Docker's `--disable-content-trust` (pull, push, build, run, create): true by default, and
 * scripts pass it explicitly. berth verifies no Docker Content Trust (Notary) signatures, so it
 * takes the flag as it is by default and refuses `--disable-content-trust=false`, which asks for
 * a verification it cannot make.
 */
import { errors } from '../base/index.js';
import type { FlagSpecs, Parsed } from './args.js';

export const contentTrustFlags: FlagSpecs = {
  'disable-content-trust': { kind: 'bool', description: 'Skip image verification (default true; berth has no content trust)' },
};

export function checkContentTrust(args: Parsed): void {
  if (args.flags.get('disable-content-trust') === false) {
    throw errors.notImplemented('CONTENT_TRUST', 'berth does not verify Docker Content Trust signatures: --disable-content-trust=false cannot be honoured');
  }
}
