import type { CliContext } from './command.js';

/**
 * Runs `fn` for each object a command names (`rm a b c`), as the docker CLI does: a failure is
 * reported (`<prefix><message>`) and the others still run; the exit code is 1 if any failed.
 */
export async function forEachRef(ctx: CliContext, refs: readonly string[], fn: (ref: string) => Promise<void>, prefix = 'Error response from daemon: '): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      await fn(ref);
    } catch (err) {
      ctx.stderr.write(`${prefix}${(err as Error).message}\n`);
      code = 1;
    }
  }
  return code;
}
