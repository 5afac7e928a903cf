import { errors } from '../../base/index.js';
import { flagBool } from '../args.js';
import type { Command } from '../command.js';

/**
 * `CONTAINER:PATH` or a local path, as docker's CLI splits them: an absolute path, a path with no
 * colon, or one starting with `.` is local (so `./a:b` names a local file).
 */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('.')) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' };
}

export const cpCommand: Command = {
  name: 'cp',
  usage: 'cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n        berth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  description:
    "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin and extract it to a directory\ndestination in a container. Use '-' as the destination to stream a tar archive of a\ncontainer source to stdout. The container may be running or stopped; its symlinks are\nresolved inside its root filesystem, never on the host.",
  flags: {
    archive: { kind: 'bool', short: 'a', description: "Archive mode: into a container, files are owned by the container's user; out of it, they keep their owners" },
    'follow-link': { kind: 'bool', short: 'L', description: 'Always follow symbol link in SRC_PATH' },
  },
  async run(ctx, args) {
    const [srcArg, destArg] = args.positionals;
    if (srcArg === undefined || destArg === undefined || args.positionals.length !== 2) {
      throw errors.invalidArgument('MISSING_ARGUMENT', '"berth cp" requires exactly 2 arguments', { hint: "See 'berth cp --help'" });
    }
    const src = splitCpArg(srcArg);
    const dest = splitCpArg(destArg);
    const options = { archive: flagBool(args, 'archive'), followLink: flagBool(args, 'follow-link') };
    const containers = ctx.engine().containers;
    if (src.container !== undefined && dest.container !== undefined) {
      throw errors.invalidArgument('CP_BETWEEN_CONTAINERS', 'copying between containers is not supported');
    }
    if (src.container !== undefined) {
      const to = destArg === '-' ? { stream: ctx.stdout } : { path: dest.path };
      await containers.copyFrom(src.container, src.path, to, options, ctx.operation());
      return 0;
    }
    if (dest.container !== undefined) {
      const from = srcArg === '-' ? { stream: ctx.stdin } : { path: src.path };
      await containers.copyTo(dest.container, from, dest.path, options, ctx.operation());
      return 0;
    }
    throw errors.invalidArgument('CP_NO_CONTAINER', 'must specify at least one container source', { hint: "See 'berth cp --help'" });
  },
};
