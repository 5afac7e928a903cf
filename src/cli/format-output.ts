import { isBerthError } from '../base/index.js';
import { inspectJsonText, renderInspectFormat } from '../api/index.js';
import type { CliContext } from './command.js';

/**
 * How a docker command reports a broken `--format` template, as recorded from the docker CLI
 * (test/fixtures/format): the message prefix and exit code of a parse error and of an error while
 * executing it.
 */
export interface FormatErrorStyle {
  parse: { prefix: string; exitCode: number };
  exec: { prefix: string; exitCode: number };
  /** `docker inspect -f` prints an empty line before an execution error. */
  blankLineOnExec?: boolean;
}

export const inspectFormatErrors: FormatErrorStyle = {
  parse: { prefix: 'template parsing error: ', exitCode: 64 },
  exec: { prefix: 'template parsing error: ', exitCode: 1 },
  blankLineOnExec: true,
};
export const psFormatErrors: FormatErrorStyle = {
  parse: { prefix: 'failed to parse template: ', exitCode: 1 },
  exec: { prefix: 'failed to execute template: ', exitCode: 1 },
};
export const listFormatErrors: FormatErrorStyle = {
  parse: { prefix: 'template parsing error: ', exitCode: 1 },
  exec: { prefix: 'template parsing error: ', exitCode: 1 },
};

/** Writes what `render` makes, or reports its template error Docker's way; returns the exit code. */
export function writeFormatted(ctx: CliContext, render: () => string, style: FormatErrorStyle): number {
  let text: string;
  try {
    text = render();
  } catch (err) {
    if (isBerthError(err) && err.code === 'BERTH_E_TEMPLATE_PARSE') {
      ctx.stderr.write(`${style.parse.prefix}${err.message}\n`);
      return style.parse.exitCode;
    }
    if (isBerthError(err) && err.code === 'BERTH_E_TEMPLATE_EXEC') {
      if (style.blankLineOnExec) ctx.stdout.write('\n');
      ctx.stderr.write(`${style.exec.prefix}${err.message}\n`);
      return style.exec.exitCode;
    }
    throw err;
  }
  ctx.stdout.write(text);
  return 0;
}

/**
 * What every `inspect` prints: the views as Docker's 4-space JSON array, or each through `-f`'s
 * template. `code` is the exit code so far (1 when an object was not found).
 */
export function writeInspected(ctx: CliContext, views: unknown[], format: string | undefined, code: number): number {
  if (format === undefined) {
    ctx.stdout.write(inspectJsonText(views));
    return code;
  }
  const written = writeFormatted(ctx, () => renderInspectFormat(format, views), inspectFormatErrors);
  return written !== 0 ? written : code;
}
