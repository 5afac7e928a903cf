/**
 * `berth network create|ls|inspect|rm|prune|connect|disconnect`: Docker's network commands on berth's bridge driver
 * (netavark). Output and messages follow the docker CLI and dockerd 20.10.
 */
import { errors } from '../../base/index.js';
import type { NetworkInfo } from '../../api/index.js';
import { dockerTables, networkFilter, networkInspectView, networkListRow, pruneNetworksFiltered, renderFormat } from '../../api/index.js';
import { flagBool, flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import { commandGroup, confirm } from '../command-group.js';
import type { Subcommand } from '../command-group.js';
import type { Parsed } from '../args.js';
import { forEachRef } from '../for-each-ref.js';
import { listFormatErrors, writeFormatted, writeInspected } from '../format-output.js';

type Sub = Subcommand;

/** `key=value` pairs of repeated flags. */
function pairs(list: readonly string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (flag === 'opt' && eq <= 0) throw errors.invalidArgument('INVALID_NETWORK_OPTION', `invalid argument "${item}" for "-o, --opt" flag: bad format for option "${item}", expected KEY=VALUE`);
    out[eq < 0 ? item : item.slice(0, eq)] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return out;
}

/** What only a swarm or another IPAM driver does, refused naming the flag (dockerd's messages where it has one). */
function refuseSwarmOptions(args: Parsed): void {
  const driver = flagString(args, 'ipam-driver');
  if (driver !== undefined && driver !== '' && driver !== 'default') throw errors.notFound('NETWORK_DRIVER_NOT_FOUND', `plugin "${driver}" not found`);
  if (flagList(args, 'ipam-opt').length > 0) throw errors.invalidArgument('NETWORK_OPTION_UNSUPPORTED', '--ipam-opt is not supported by berth\'s networks: the default IPAM driver takes none');
  const scope = flagString(args, 'scope');
  if (scope === 'swarm' || scope === 'global') throw errors.failedPrecondition('SWARM_INACTIVE', 'cannot create a swarm scoped network when swarm is not active');
  if (scope !== undefined && scope !== '' && scope !== 'local') throw errors.invalidArgument('INVALID_SCOPE', `invalid scope "${scope}": use local`);
  if (flagBool(args, 'ingress')) throw errors.invalidArgument('NETWORK_OPTION_UNSUPPORTED', 'Ingress network can only be global scope network');
  if (flagBool(args, 'config-only') || flagString(args, 'config-from') !== undefined) {
    throw errors.invalidArgument('NETWORK_OPTION_UNSUPPORTED', '--config-only and --config-from are not supported by berth\'s networks: config-only networks are for swarm');
  }
}

/** A single value of a flag Docker takes as a list (one subnet, one gateway, one range: IPv4 only). */
function single(args: Parsed, name: string): string | undefined {
  const values = flagList(args, name);
  if (values.length > 1) throw errors.notImplemented('MULTIPLE_SUBNETS', `berth's networks have one IPv4 subnet: --${name} was given ${values.length} times`);
  return values[0];
}

const subcommands: Record<string, Sub> = {
  create: {
    usage: 'network create [OPTIONS] NETWORK',
    description: 'Create a network',
    flags: {
      driver: { kind: 'string', short: 'd', description: 'Driver to manage the Network (only "bridge")', value: 'string' },
      subnet: { kind: 'list', description: 'Subnet in CIDR format that represents a network segment', value: 'strings' },
      gateway: { kind: 'list', description: 'IPv4 Gateway for the master subnet', value: 'strings' },
      'ip-range': { kind: 'list', description: 'Allocate container ip from a sub-range', value: 'strings' },
      internal: { kind: 'bool', description: 'Restrict external access to the network' },
      ipv6: { kind: 'bool', description: 'Enable IPv6 networking (not supported by berth)' },
      label: { kind: 'list', description: 'Set metadata on a network', value: 'list' },
      opt: { kind: 'list', short: 'o', description: 'Set driver specific options: com.docker.network.bridge.name=NAME', value: 'map' },
      'aux-address': { kind: 'list', description: 'Auxiliary IPv4 addresses the network keeps from containers (NAME=IP, in --subnet)', value: 'map' },
      attachable: { kind: 'bool', description: 'Enable manual container attachment (a local network always allows it; recorded)' },
      'ipam-driver': { kind: 'string', description: 'IP Address Management Driver (only "default")', value: 'string' },
      'ipam-opt': { kind: 'list', description: 'Set IPAM driver specific options (not supported: the default driver takes none)', value: 'map' },
      scope: { kind: 'string', description: "Control the network's scope (only \"local\")", value: 'string' },
      'config-only': { kind: 'bool', description: 'Create a configuration only network (not supported: it is for swarm)' },
      'config-from': { kind: 'string', description: 'The network from which to copy the configuration (not supported: it is for swarm)', value: 'string' },
      ingress: { kind: 'bool', description: 'Create swarm routing-mesh network (not supported: it is for swarm)' },
    },
    async run(ctx, args) {
      if (args.positionals.length !== 1) throw errors.invalidArgument(args.positionals.length === 0 ? 'MISSING_ARGUMENT' : 'TOO_MANY_ARGUMENTS', '"berth network create" requires exactly 1 argument');
      const driver = flagString(args, 'driver');
      const subnet = single(args, 'subnet');
      const gateway = single(args, 'gateway');
      const ipRange = single(args, 'ip-range');
      refuseSwarmOptions(args);
      const aux = pairs(flagList(args, 'aux-address'), 'aux-address');
      const network = await ctx.engine().networks.create({
        name: args.positionals[0] as string,
        ...(driver !== undefined ? { driver } : {}),
        ...(subnet !== undefined ? { subnet } : {}),
        ...(gateway !== undefined ? { gateway } : {}),
        ...(ipRange !== undefined ? { ipRange } : {}),
        ...(Object.keys(aux).length > 0 ? { auxAddresses: aux } : {}),
        ...(flagBool(args, 'attachable') ? { attachable: true } : {}),
        internal: flagBool(args, 'internal'),
        ipv6: flagBool(args, 'ipv6'),
        labels: pairs(flagList(args, 'label'), 'label'),
        options: pairs(flagList(args, 'opt'), 'opt'),
      });
      ctx.stdout.write(`${network.id}\n`);
      return 0;
    },
  },
  ls: {
    usage: 'network ls [OPTIONS]',
    description: 'List networks',
    flags: {
      filter: { kind: 'list', short: 'f', description: "Provide filter values (e.g. 'name=NAME', 'driver=bridge', 'label=KEY[=VALUE]', 'type=custom|builtin', 'id=ID', 'dangling=true', 'scope=local')", value: 'filter' },
      format: { kind: 'string', description: "Pretty-print networks using a Go template: 'table', 'table TEMPLATE', 'json' or a Go template", value: 'string' },
      'no-trunc': { kind: 'bool', description: 'Do not truncate the output' },
      quiet: { kind: 'bool', short: 'q', description: 'Only display network IDs' },
    },
    async run(ctx, args) {
      const filter = networkFilter(flagList(args, 'filter'));
      const networks = (await ctx.engine().networks.list()).filter(filter);
      const trunc = !flagBool(args, 'no-trunc');
      if (flagBool(args, 'quiet')) {
        ctx.stdout.write(networks.map((n) => `${trunc ? n.id.slice(0, 12) : n.id}\n`).join(''));
        return 0;
      }
      return writeFormatted(ctx, () => renderFormat(flagString(args, 'format') ?? 'table', networks.map((n) => networkListRow(n, { trunc })), dockerTables.network), listFormatErrors);
    },
  },
  inspect: {
    usage: 'network inspect [OPTIONS] NETWORK [NETWORK...]',
    description: 'Display detailed information on one or more networks',
    flags: { format: { kind: 'string', short: 'f', description: 'Format the output using the given Go template', value: 'string' } },
    async run(ctx, args) {
      if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth network inspect" requires at least 1 argument');
      const found: NetworkInfo[] = [];
      const code = await forEachRef(ctx, args.positionals, async (ref) => void found.push(await ctx.engine().networks.inspect(ref)));
      const out = found.map(networkInspectView);
      return writeInspected(ctx, out, flagString(args, 'format'), code);
    },
  },
  rm: {
    usage: 'network rm NETWORK [NETWORK...]',
    description: 'Remove one or more networks',
    flags: {},
    async run(ctx, args) {
      if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth network rm" requires at least 1 argument');
      return forEachRef(ctx, args.positionals, async (ref) => void ctx.stdout.write(`${await ctx.engine().networks.remove(ref)}\n`));
    },
  },
  connect: {
    usage: 'network connect [OPTIONS] NETWORK CONTAINER',
    description: 'Connect a container to a network',
    flags: {
      alias: { kind: 'list', description: 'Add network-scoped alias for the container', value: 'strings' },
      ip: { kind: 'string', description: 'IPv4 address (e.g., 172.30.100.104)', value: 'string' },
    },
    async run(ctx, args) {
      if (args.positionals.length !== 2) throw errors.invalidArgument(args.positionals.length < 2 ? 'MISSING_ARGUMENT' : 'TOO_MANY_ARGUMENTS', '"berth network connect" requires exactly 2 arguments');
      const [network, container] = args.positionals as [string, string];
      const ip = flagString(args, 'ip');
      const aliases = flagList(args, 'alias');
      await ctx.engine().networks.connect(network, container, { ...(aliases.length > 0 ? { aliases } : {}), ...(ip !== undefined ? { ipv4Address: ip } : {}) });
      return 0;
    },
  },
  disconnect: {
    usage: 'network disconnect [OPTIONS] NETWORK CONTAINER',
    description: 'Disconnect a container from a network',
    flags: { force: { kind: 'bool', short: 'f', description: 'Force the container to disconnect from a network' } },
    async run(ctx, args) {
      if (args.positionals.length !== 2) throw errors.invalidArgument(args.positionals.length < 2 ? 'MISSING_ARGUMENT' : 'TOO_MANY_ARGUMENTS', '"berth network disconnect" requires exactly 2 arguments');
      const [network, container] = args.positionals as [string, string];
      await ctx.engine().networks.disconnect(network, container, { force: flagBool(args, 'force') });
      return 0;
    },
  },
  prune: {
    usage: 'network prune [OPTIONS]',
    description: 'Remove all unused networks; the default bridge\'s keeper goes too (the bridge itself once no container is\non it), and the next container on the bridge makes it again (docs/ARCHITECTURE.md, "Networks")',
    flags: {
      force: { kind: 'bool', short: 'f', description: 'Do not prompt for confirmation' },
      filter: { kind: 'list', description: 'Provide filter values (e.g. "until=<timestamp>", "label=KEY[=VALUE]", "label!=KEY")', value: 'filter' },
    },
    async run(ctx, args) {
      if (!flagBool(args, 'force')) {
        if (!(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return 0;
      }
      const removed = await pruneNetworksFiltered(ctx.engine(), flagList(args, 'filter'));
      if (removed.length > 0) ctx.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}\n`);
      return 0;
    },
  },
};
const aliases: Record<string, string> = { list: 'ls', remove: 'rm' };

export const networkCommand: Command = commandGroup('network', 'Manage networks', subcommands, aliases);
