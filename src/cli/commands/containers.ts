import { errors, shortId } from '../../base/index.js';
import type { ContainerRecord } from '../../services/index.js';
import { processArgs } from '../../services/index.js';
import { flagBool } from '../args.js';
import type { Command } from '../command.js';
import { ago, forEachRef, table } from '../command.js';

function status(c: ContainerRecord): string {
  switch (c.state.status) {
    case 'running':
      return `Up ${ago(c.state.startedAt).replace(/ ago$/, '')}`;
    case 'exited':
      return `Exited (${c.state.exitCode}) ${ago(c.state.finishedAt)}`;
    case 'created':
      return 'Created';
    default:
      return c.state.status[0]?.toUpperCase() + c.state.status.slice(1);
  }
}

export const psCommand: Command = {
  name: 'ps',
  usage: 'ps [OPTIONS]',
  description: 'List containers',
  flags: {
    all: { kind: 'bool', short: 'a', description: 'Show all containers (default shows just running)' },
    quiet: { kind: 'bool', short: 'q', description: 'Only display container IDs' },
    'no-trunc': { kind: 'bool', description: "Don't truncate output" },
  },
  async run(ctx, args) {
    const list = ctx.engine().containers.list({ all: flagBool(args, 'all') });
    const full = flagBool(args, 'no-trunc');
    if (flagBool(args, 'quiet')) {
      ctx.stdout.write(list.map((c) => `${full ? c.id : shortId(c.id)}\n`).join(''));
      return 0;
    }
    const rows = list.map((c) => {
      const command = processArgs(c.config).join(' ');
      return [full ? c.id : shortId(c.id), c.image, JSON.stringify(full || command.length <= 20 ? command : `${command.slice(0, 19)}…`), ago(c.createdAt), status(c), '', c.name];
    });
    ctx.stdout.write(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows));
    return 0;
  },
};

export const rmCommand: Command = {
  name: 'rm',
  usage: 'rm [OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  flags: { force: { kind: 'bool', short: 'f', description: 'Force the removal of a running container' } },
  async run(ctx, args) {
    if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth rm" requires at least 1 argument');
    return forEachRef(ctx, args.positionals, async (ref) => {
      await ctx.engine().containers.remove(ref, { force: flagBool(args, 'force') });
      ctx.stdout.write(`${ref}\n`);
    });
  },
};

export const inspectCommand: Command = {
  name: 'inspect',
  usage: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on containers and images, as JSON',
  flags: { type: { kind: 'string', description: 'Only inspect objects of this type (container, image)', value: 'string' } },
  async run(ctx, args) {
    if (args.positionals.length === 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth inspect" requires at least 1 argument');
    const type = args.flags.get('type');
    const engine = ctx.engine();
    const out: unknown[] = [];
    const code = await forEachRef(ctx, args.positionals, async (ref) => void out.push(await inspectOne(engine, ref, type as string | undefined)), 'Error: ');
    ctx.stdout.write(`${JSON.stringify(out, null, 4)}\n`);
    return code;
  },
};

async function inspectOne(engine: ReturnType<Parameters<Command['run']>[0]['engine']>, ref: string, type: string | undefined): Promise<unknown> {
  if (type !== 'image') {
    try {
      return containerView(engine.containers.inspect(ref));
    } catch (err) {
      if (type === 'container' || (err as { kind?: string }).kind !== 'NotFound') throw err;
    }
  }
  try {
    const image = await engine.images.resolve(ref);
    const names = (await engine.images.list()).find((i) => i.id === image.id)?.names ?? [];
    return {
      Id: image.id,
      RepoTags: names,
      Created: image.config.created,
      Architecture: image.config.architecture,
      Os: image.config.os,
      Config: image.config.config,
      RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
      Size: image.manifest.layers.reduce((s, l) => s + l.size, 0),
      ManifestDigest: image.manifestDescriptor.digest,
    };
  } catch (err) {
    if ((err as { kind?: string }).kind === 'NotFound') throw errors.notFound('NO_SUCH_OBJECT', `No such object: ${ref}`);
    throw err;
  }
}

/** A container record in the shape of Docker's inspect output (the fields berth has). */
function containerView(c: ContainerRecord) {
  const args = processArgs(c.config);
  return {
    Id: c.id,
    Created: c.createdAt,
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: c.state.status, Running: c.state.status === 'running', Paused: c.state.status === 'paused', Restarting: false,
      OOMKilled: c.state.oomKilled, Dead: c.state.status === 'dead', Pid: c.state.pid, ExitCode: c.state.exitCode,
      Error: c.state.error, StartedAt: c.state.startedAt, FinishedAt: c.state.finishedAt,
    },
    Image: c.imageId,
    Name: `/${c.name}`,
    Driver: 'overlay',
    HostConfig: {
      AutoRemove: c.hostConfig.autoRemove, Binds: c.hostConfig.binds.filter((b) => b.type === 'bind').map((b) => `${b.source}:${b.target}${b.readonly ? ':ro' : ''}`),
      NetworkMode: c.hostConfig.networkMode, ReadonlyRootfs: c.hostConfig.readonlyRootfs, Privileged: c.hostConfig.privileged,
      CapAdd: c.hostConfig.capAdd, CapDrop: c.hostConfig.capDrop, SecurityOpt: c.hostConfig.securityOpt, Memory: c.hostConfig.memory ?? 0,
      NanoCpus: c.hostConfig.nanoCpus ?? 0, PidsLimit: c.hostConfig.pidsLimit ?? null, Ulimits: c.hostConfig.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      Runtime: c.hostConfig.runtime,
    },
    Config: c.config,
  };
}
