import { errors } from '../../base/index.js';
import type { ContainerUpdate } from '../../api/index.js';
import { parseBytes, parseRestartPolicy } from '../../api/index.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import { intFlag, limitFlagSpecs, limitFlags } from '../container-flags.js';
import { forEachRef } from '../for-each-ref.js';

export const updateCommand: Command = {
  name: 'update',
  usage: 'update [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Update configuration of one or more containers\n\nResource limits apply at once to a running container and are kept for its next start.',
  flags: {
    ...limitFlagSpecs,
    'memory-reservation': { kind: 'string', description: 'Memory soft limit', value: 'bytes' },
    cpus: { kind: 'string', description: 'Number of CPUs', value: 'decimal' },
    'pids-limit': { kind: 'string', description: 'Tune container pids limit (-1 for unlimited)', value: 'int' },
    'blkio-weight': { kind: 'string', description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', value: 'uint16' },
    restart: { kind: 'string', description: 'Restart policy to apply when a container exits: no, on-failure[:max-retries], always, unless-stopped', value: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth update" requires at least 1 argument', { hint: "See 'berth update --help'" });
    const changes = updateChanges(args.flags);
    if (Object.keys(changes).length === 0) {
      throw errors.invalidArgument('NOTHING_TO_UPDATE', 'you must provide one or more flags when using this command', { hint: "See 'berth update --help'" });
    }
    return forEachRef(ctx, args.positionals, async (ref) => {
      await ctx.engine().containers.update(ref, changes, ctx.operation());
      ctx.stdout.write(`${ref}\n`);
    });
  },
};

function updateChanges(flags: Map<string, unknown>): ContainerUpdate {
  const parsed = { flags: flags as Map<string, string>, positionals: [] };
  const get = (name: string) => flagString(parsed, name);
  const int = (name: string) => intFlag(parsed, name);
  // Memory, swap, CPUs and shares as run reads them; a cpuset given empty is a change too (to all).
  const { memory, memorySwap, nanoCpus, cpuShares } = limitFlags(parsed);
  const changes: ContainerUpdate = {
    ...(memory !== undefined ? { memory } : {}),
    ...(memorySwap !== undefined ? { memorySwap } : {}),
    ...(nanoCpus !== undefined ? { nanoCpus } : {}),
    ...(cpuShares !== undefined ? { cpuShares } : {}),
  };
  const reservation = get('memory-reservation');
  if (reservation !== undefined) changes.memoryReservation = parseBytes(reservation);
  const cpuset = get('cpuset-cpus');
  if (cpuset !== undefined) changes.cpusetCpus = cpuset;
  const mems = get('cpuset-mems');
  if (mems !== undefined) changes.cpusetMems = mems;
  const weight = int('blkio-weight');
  if (weight) changes.blkioWeight = weight;
  const pids = int('pids-limit');
  if (pids !== undefined) changes.pidsLimit = pids;
  const restart = get('restart');
  if (restart !== undefined) changes.restartPolicy = parseRestartPolicy(restart);
  return changes;
}
