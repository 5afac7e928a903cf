import { errors } from '../../base/index.js';
import { infoText, infoView, renderInspectFormat, versionText, versionView } from '../../api/index.js';
import { flagString } from '../args.js';
import type { Command } from '../command.js';
import type { FormatErrorStyle } from '../format-output.js';
import { writeFormatted } from '../format-output.js';

/**
 * docker 28's `version`/`info --format` errors (observed): `template parsing error: ...`, exit 64, for
 * one that does not parse; an empty line and the execution error, exit 1, for one that fails.
 */
const systemFormatErrors: FormatErrorStyle = {
  parse: { prefix: 'template parsing error: ', exitCode: 64 },
  exec: { prefix: '', exitCode: 1 },
  blankLineOnExec: true,
};

const formatFlag = { kind: 'string', short: 'f', description: "Format output using a custom template: 'json' or a Go template", value: 'string' } as const;

function noArguments(name: string, positionals: readonly string[]): void {
  if (positionals.length > 0) throw errors.invalidArgument('TOO_MANY_ARGUMENTS', `"berth ${name}" accepts no arguments`, { hint: `See 'berth ${name} --help'` });
}

function render(format: string, view: unknown, structType: string): string {
  return renderInspectFormat(format === 'json' ? '{{json .}}' : format, [view], { structType });
}

export const versionCommand: Command = {
  name: 'version',
  usage: 'version [OPTIONS]',
  description: 'Show the berth version information\n\nIn docker version\'s layout: the Client (this CLI) and the Server (the in-process engine, its OCI\nruntimes and init) sections',
  flags: { format: formatFlag },
  async run(ctx, args) {
    noArguments('version', args.positionals);
    const view = versionView(ctx.version ?? 'unknown', await ctx.engine().system.facts());
    const format = flagString(args, 'format');
    if (format === undefined) {
      ctx.stdout.write(versionText(view));
      return 0;
    }
    return writeFormatted(ctx, () => render(format, view, 'system.versionInfo'), systemFormatErrors);
  },
};

export const infoCommand: Command = {
  name: 'info',
  usage: 'info [OPTIONS]',
  description: 'Display system-wide information\n\nIn docker info\'s layout; Docker Root Dir is the store\'s root',
  flags: { format: formatFlag },
  async run(ctx, args) {
    noArguments('info', args.positionals);
    const view = infoView(ctx.version ?? 'unknown', await ctx.engine().system.facts());
    const format = flagString(args, 'format');
    if (format === undefined) {
      ctx.stdout.write(infoText(view));
      return 0;
    }
    return writeFormatted(ctx, () => render(format, view, 'system.dockerInfo'), systemFormatErrors);
  },
};
