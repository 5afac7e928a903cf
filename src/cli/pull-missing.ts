import type { Operation } from '../base/index.js';
import { errors, isBerthError } from '../base/index.js';
import { parseReference } from '../oci/index.js';
import { flagString } from './args.js';
import type { FlagSpec, Parsed } from './args.js';
import type { CliContext } from './command.js';
import { ProgressDisplay } from './progress-display.js';

const policies = ['missing', 'always', 'never'] as const;

/** `run`/`create --pull`. */
export const pullFlag: FlagSpec = { kind: 'string', description: 'Pull image before running ("always", "missing", "never") (default "missing")', value: 'string' };

/**
 * Creates with `create`, pulling the image first (`--pull always`) or when the engine does not
 * have it (`missing`, the default), as the docker CLI does on its side: "Unable to find image
 * 'busybox:latest' locally", the pull's progress on stderr, then the create again.
 */
export async function pullingIfMissing<T>(ctx: CliContext, args: Parsed, image: string, op: Operation, create: () => Promise<T>): Promise<T> {
  const policy = flagString(args, 'pull') ?? 'missing';
  if (!(policies as readonly string[]).includes(policy)) {
    throw errors.invalidArgument('INVALID_PULL_POLICY', `invalid pull option: '${policy}': must be one of "always", "missing" or "never"`);
  }
  const pull = () => ctx.engine().images.pull(image, { onProgressEvent: new ProgressDisplay(ctx.stderr).event }, op);
  if (policy === 'always') {
    await pull();
    return create();
  }
  try {
    return await create();
  } catch (err) {
    // An id is never pulled; nor is anything with --pull never.
    if (policy === 'never' || !isBerthError(err) || err.code !== 'BERTH_E_IMAGE_NOT_FOUND' || /^sha256:|^[a-f0-9]{64}$/.test(image)) throw err;
    let familiar: string;
    try {
      familiar = parseReference(image).familiar;
    } catch {
      throw err;
    }
    ctx.stderr.write(`Unable to find image '${familiar}' locally\n`);
    await pull();
    return create();
  }
}
