import { errors } from '../base/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';

const portKey = /^(\d{1,5})\/(tcp|udp|sctp)$/;

/**
 * Refuses an image config that no container could run with, before an image is stored from it
 * (`import --change` today; any path that takes a config from a user): a relative WorkingDir, an
 * exposed port that is not `PORT/PROTO` with PORT in 1-65535, an Env entry with no name.
 * Throws invalidArgument `BERTH_E_INVALID_IMAGE_CONFIG` naming the field.
 */
export function validateImageConfig(config: ImageRuntimeConfig): void {
  const bad = (what: string) => errors.invalidArgument('INVALID_IMAGE_CONFIG', `Invalid image config: ${what}`);
  if (config.WorkingDir && !config.WorkingDir.startsWith('/')) throw bad(`WORKDIR "${config.WorkingDir}" is not an absolute path`);
  for (const key of Object.keys(config.ExposedPorts ?? {})) {
    const port = Number(portKey.exec(key)?.[1]);
    if (!(port >= 1 && port <= 65535)) throw bad(`exposed port "${key}" is not PORT/PROTO with PORT 1-65535 and PROTO tcp, udp or sctp`);
  }
  for (const entry of config.Env ?? []) {
    if (entry.startsWith('=') || entry === '') throw bad(`environment entry "${entry}" has no name`);
  }
}
