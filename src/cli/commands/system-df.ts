import { errors } from '../../base/index.js';
import type { Command } from '../command.js';

export const systemDfCommand: Command = {
  name: 'version', usage: 'version [OPTIONS]', description: 'Show the berth version information', flags: {},
  async run() { throw errors.notImplemented('NOT_YET', 'not yet'); },
};
export const unusedDf: Command = {
  name: 'info', usage: 'info [OPTIONS]', description: 'Display system-wide information', flags: {},
  async run() { throw errors.notImplemented('NOT_YET', 'not yet'); },
};
