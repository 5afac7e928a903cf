import { errors } from '../../base/index.js';
import type { Command } from '../command.js';

export const versionCommand: Command = {
  name: 'version', usage: 'version', description: 'Show the berth version information', flags: {},
  async run(ctx) {
    ctx.stdout.write(`berth version ${ctx.version ?? 'unknown'}\n`);
    return 0;
  },
};
export const infoCommand: Command = {
  name: 'info', usage: 'info [OPTIONS]', description: 'Display system-wide information', flags: {},
  async run() { throw errors.notImplemented('NOT_YET', 'berth info is not implemented yet'); },
};
