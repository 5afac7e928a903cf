/**
 * `--platform` where berth runs only what the host runs (build, run, create, import): the host's
 * `os/arch[/variant]` is taken, anything else refused with what the host is. No emulation.
 */
import { errors } from '../base/index.js';
import { hostPlatform } from '../oci/index.js';

export function checkHostPlatform(platform: string | undefined, code: string, what: string): void {
  if (platform === undefined) return;
  const host = hostPlatform();
  const plain = `${host.os}/${host.architecture}`;
  if (platform === plain || platform === `${plain}${host.variant ? `/${host.variant}` : ''}`) return;
  throw errors.notImplemented(code, `Cannot ${what} for platform "${platform}": only the host platform ${plain} is supported`);
}
