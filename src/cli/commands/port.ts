/** `berth port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's published ports, as `docker port` prints them. */
import { errors } from '../../base/index.js';
import { formatPortLines } from '../../api/index.js';
import type { Command } from '../command.js';

export const portCommand: Command = {
  name: 'port',
  usage: 'port CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  flags: {},
  async run(ctx, args) {
    const [ref, wanted] = args.positionals;
    if (ref === undefined || args.positionals.length > 2) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth port" requires at least 1 and at most 2 arguments');
    const record = await ctx.engine().containers.inspect(ref);
    const ports = record.networkSettings?.ports ?? [];
    if (wanted === undefined) {
      ctx.stdout.write(formatPortLines(ports).map((l) => `${l}\n`).join(''));
      return 0;
    }
    const [portText = '', proto = 'tcp'] = wanted.split('/');
    const matches = ports.filter((p) => String(p.containerPort) === portText && p.protocol === proto);
    if (matches.length === 0) throw errors.notFound('NO_PORT_MAPPING', `No public port '${portText}/${proto}' published for ${record.name}`);
    ctx.stdout.write(matches.map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}\n`).join(''));
    return 0;
  },
};
