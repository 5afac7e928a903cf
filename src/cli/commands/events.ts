import { errors } from '../../base/index.js';
import { eventLine, eventTemplateView, parseGoTemplate, renderInspectFormat, timestampNanos } from '../../api/index.js';
import { flagList, flagString } from '../args.js';
import type { Command } from '../command.js';
import type { FormatErrorStyle } from '../format-output.js';
import { writeFormatted } from '../format-output.js';
import { parseTimestamp } from './logs.js';

/** docker 28's `events --format` errors (parse and execution alike): `Error parsing format: ...`, exit 64. */
const eventsFormatErrors: FormatErrorStyle = {
  parse: { prefix: 'Error parsing format: ', exitCode: 64 },
  exec: { prefix: 'Error parsing format: ', exitCode: 64 },
};

export const eventsCommand: Command = {
  name: 'events',
  usage: 'events [OPTIONS]',
  description: 'Get real time events from the store\n\nWithout --since and --until, prints the events that happen from now on until interrupted; with\n--since, the logged events since then first; with --until, stops at that time. The log\n(<root>/events/events.log) keeps about the last 16 MiB of events.',
  flags: {
    filter: { kind: 'list', short: 'f', description: 'Filter output based on conditions provided (container, event, image, label, network, type, volume)', value: 'filter' },
    format: { kind: 'string', description: "Format output using a custom template: 'json' or a Go template", value: 'string' },
    since: { kind: 'string', description: 'Show all events created since timestamp (RFC 3339, Unix seconds, or a duration like 10m)', value: 'string' },
    until: { kind: 'string', description: 'Stream events until this timestamp', value: 'string' },
  },
  async run(ctx, args) {
    if (args.positionals.length > 0) throw errors.invalidArgument('TOO_MANY_ARGUMENTS', '"berth events" accepts no arguments', { hint: "See 'berth events --help'" });
    const nowSeconds = Date.now() / 1000;
    const time = (flag: string) => {
      const value = flagString(args, flag);
      return value === undefined ? undefined : timestampNanos(value, (v) => parseTimestamp(v, nowSeconds, flag));
    };
    const since = time('since');
    const until = time('until');
    const format = flagString(args, 'format');
    const template = format === 'json' ? '{{json .}}' : format;
    if (template !== undefined) {
      const code = writeFormatted(ctx, () => (parseGoTemplate(template), ''), eventsFormatErrors);
      if (code !== 0) return code;
    }
    const events = ctx.engine().system.events({
      follow: true, filters: flagList(args, 'filter'), ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}),
    });
    for await (const event of events) {
      if (template === undefined) {
        ctx.stdout.write(`${eventLine(event)}\n`);
        continue;
      }
      const code = writeFormatted(ctx, () => renderInspectFormat(template, [eventTemplateView(event)], { structType: '*events.Message' }), eventsFormatErrors);
      if (code !== 0) return code;
    }
    return 0;
  },
};
