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

/**
 * `forEachRef` for commands the docker CLI runs on all its objects at once (rm, stop, kill, pause,
 * unpause: its parallelOperation, at most 50 at a time): each ref is printed when `fn` succeeds,
 * and the reports come in the order the refs were given.
 */
export async function forEachRefInParallel(ctx: CliContext, refs: readonly string[], fn: (ref: string) => Promise<void>, prefix = 'Error response from daemon: '): Promise<number> {
  const limit = 50;
  const outcomes = refs.map(() => {
    let settle: (failure: { err: unknown } | undefined) => void = () => {};
    const done = new Promise<{ err: unknown } | undefined>((resolve) => (settle = resolve));
    return { done, settle };
  });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < refs.length; i = next++) {
      outcomes[i]?.settle(await fn(refs[i] as string).then(() => undefined, (err: unknown) => ({ err })));
    }
  };
  const workers = Array.from({ length: Math.min(limit, refs.length) }, worker);
  let code = 0;
  for (const [i, outcome] of outcomes.entries()) {
    const failure = await outcome.done;
    if (failure === undefined) {
      ctx.stdout.write(`${refs[i]}\n`);
    } else {
      ctx.stderr.write(`${prefix}${(failure.err as Error).message}\n`);
      code = 1;
    }
  }
  await Promise.all(workers);
  return code;
}
