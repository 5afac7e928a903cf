/**
 * `--platform` where berth runs only what the host runs (build, run, create, import): the host's
 * `os/arch[/variant]` is taken, anything else refused with what the host is. No emulation.
 */
import { errors } from '../base/index.js';
import { hostPlatformName, isHostPlatform } from '../oci/index.js';

export function checkHostPlatform(platform: string | undefined, code: string, what: string): void {
  if (platform === undefined || isHostPlatform(platform)) return;
  throw errors.notImplemented(code, `Cannot ${what} for platform "${platform}": only the host platform ${hostPlatformName()} is supported`);
}
