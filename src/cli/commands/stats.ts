import { setTimeout as sleep } from 'node:timers/promises';

import { dockerTables, renderFormat, statsRow } from '../../api/index.js';
import type { StatsSample } from '../../api/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { psFormatErrors, writeFormatted } from '../format-output.js';

/** Docker's stats collector samples once a second. */
const INTERVAL_MS = 1000;

export const statsCommand: Command = {
  name: 'stats',
  usage: 'stats [OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  flags: {
    all: { kind: 'bool', short: 'a', description: 'Show all containers (default shows just running)' },
    'no-stream': { kind: 'bool', description: 'Disable streaming stats and only pull the first result' },
    'no-trunc': { kind: 'bool', description: "Don't truncate output" },
    format: { kind: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or a Go template", value: 'string' },
  },
  async run(ctx, args) {
    const engine = ctx.engine();
    const named = args.positionals;
    const all = flagBool(args, 'all');
    const stream = !flagBool(args, 'no-stream');
    const format = flagString(args, 'format') ?? 'table';
    const trunc = !flagBool(args, 'no-trunc');
    let code = 0;
    const failed = new Set<string>();
    /** One sample of each container shown: the named ones, else those `ps` (-a) lists now. */
    const sampleAll = async (): Promise<{ ref?: string; sample: StatsSample }[]> => {
      const refs = named.length > 0 ? named.filter((r) => !failed.has(r)) : (await engine.containers.list({ all })).map((c) => c.id);
      const out: { ref?: string; sample: StatsSample }[] = [];
      for (const ref of refs) {
        try {
          out.push({ ...(named.length > 0 ? { ref } : {}), sample: await engine.containers.stats(ref) });
        } catch (err) {
          // A container listed a moment ago may be gone; a named one that does not exist is an error.
          if (named.length > 0) {
            ctx.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
            failed.add(ref);
            code = 1;
          }
        }
      }
      return out;
    };
    let previous = new Map<string, StatsSample>();
    let samples = await sampleAll();
    for (;;) {
      previous = new Map(samples.map((s) => [s.sample.id, s.sample]));
      await sleep(INTERVAL_MS);
      samples = await sampleAll();
      const rows = samples.map(({ ref, sample }) => statsRow(previous.get(sample.id), sample, { ...(ref !== undefined ? { container: ref } : {}), trunc }));
      if (stream) ctx.stdout.write('\x1b[2J\x1b[H');
      const written = writeFormatted(ctx, () => renderFormat(format, rows, dockerTables.stats), psFormatErrors);
      if (written !== 0) return written;
      if (!stream) return code;
      if (named.length > 0 && failed.size === named.length) return code;
    }
  },
};
