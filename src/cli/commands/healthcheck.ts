/** `berth container healthcheck ID`: one health probe, run by the container's monitor (hidden from help). */
import { errors } from '../../base/index.js';
import type { Command } from '../command.js';

export const healthcheckCommand: Command = {
  name: 'container healthcheck',
  usage: 'container healthcheck CONTAINER',
  description: "Run one health check probe and record its result (run by the container's monitor)",
  flags: {},
  async run(ctx, args) {
    const [id] = args.positionals;
    if (id === undefined || args.positionals.length !== 1) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth container healthcheck" requires exactly 1 argument');
    return (await ctx.engine().containers.healthcheck(id)) ? 0 : 1;
  },
};
