/**
 * The flags `run` and `create` share — what a container is made of — and their translation into
 * the engine's CreateContainerOptions. A flag is added here once and both commands take it.
 */
import { readFileSync } from 'node:fs';

import { errors } from '../base/index.js';
import type { CreateContainerOptions, HostConfig, LogConfig, RestartPolicy } from '../api/index.js';
import { parseBytes, parseExpose, parseMountFlag, parseNetworkMode, parsePublish, parseUlimit, parseVolumeFlag } from '../api/index.js';
import { flagBool, flagList, flagString } from './args.js';
import type { FlagSpecs, Parsed } from './args.js';
import { parseEnvFile, parseEnvOption } from './env-file.js';

export const containerFlags: FlagSpecs = {
  interactive: { kind: 'bool', short: 'i', description: 'Keep STDIN open even if not attached' },
  tty: { kind: 'bool', short: 't', description: 'Allocate a pseudo-TTY' },
  restart: { kind: 'string', description: 'Restart policy to apply when a container exits: no, on-failure[:max-retries], always, unless-stopped', value: 'string' },
  'log-driver': { kind: 'string', description: 'Logging driver for the container: json-file (default) or none', value: 'string' },
  'log-opt': { kind: 'list', description: 'Log driver options: max-size=SIZE, max-file=N', value: 'list' },
  rm: { kind: 'bool', description: 'Automatically remove the container when it exits' },
    name: { kind: 'string', description: 'Assign a name to the container', value: 'string' },
    env: { kind: 'list', short: 'e', description: 'Set environment variables', value: 'list' },
    'env-file': { kind: 'list', description: 'Read in a file of environment variables', value: 'list' },
    workdir: { kind: 'string', short: 'w', description: 'Working directory inside the container', value: 'string' },
    user: { kind: 'string', short: 'u', description: 'Username or UID (format: <name|uid>[:<group|gid>])', value: 'string' },
    volume: { kind: 'list', short: 'v', description: 'Bind mount a volume: NAME:/path[:MODE] (named volume), /host:/path[:MODE] (bind), /path (anonymous volume); MODE: ro|rw, nocopy, a bind propagation', value: 'list' },
    mount: { kind: 'list', description: 'Attach a filesystem mount: type=bind|volume|tmpfs,source=,target=,readonly,bind-propagation=,volume-nocopy,volume-opt=,volume-label=,tmpfs-size=,tmpfs-mode=', value: 'mount' },
    'volumes-from': { kind: 'list', description: 'Mount volumes from the specified container(s): CONTAINER[:ro|rw]', value: 'list' },
    tmpfs: { kind: 'list', description: 'Mount a tmpfs directory (PATH[:OPTIONS])', value: 'list' },
    hostname: { kind: 'string', short: 'h', description: 'Container host name', value: 'string' },
    entrypoint: { kind: 'string', description: 'Overwrite the default ENTRYPOINT of the image', value: 'string' },
    memory: { kind: 'string', short: 'm', description: 'Memory limit (e.g. 32m, 1g)', value: 'bytes' },
    'memory-swap': { kind: 'string', description: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", value: 'bytes' },
    cpus: { kind: 'string', description: 'Number of CPUs (e.g. 0.5)', value: 'decimal' },
    'pids-limit': { kind: 'string', description: 'Tune container pids limit (-1 for unlimited)', value: 'int' },
    network: { kind: 'string', description: 'Connect a container to a network: bridge (default), a network\'s name, host, none or container:NAME', value: 'network' },
    'network-alias': { kind: 'list', description: 'Add network-scoped alias for the container (user networks)', value: 'list' },
    ip: { kind: 'string', description: 'IPv4 address (e.g., 172.30.100.104) on a user network', value: 'string' },
    'mac-address': { kind: 'string', description: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)', value: 'string' },
    publish: { kind: 'list', short: 'p', description: "Publish a container's port(s) to the host: [IP:][HOSTPORT:]CPORT[/PROTO], ranges", value: 'list' },
    'publish-all': { kind: 'bool', short: 'P', description: 'Publish all exposed ports to random ports' },
    expose: { kind: 'list', description: 'Expose a port or a range of ports', value: 'list' },
    net: { kind: 'string', description: 'Alias of --network', value: 'network' },
    'read-only': { kind: 'bool', description: "Mount the container's root filesystem as read only" },
    'cap-add': { kind: 'list', description: 'Add Linux capabilities', value: 'list' },
    'cap-drop': { kind: 'list', description: 'Drop Linux capabilities', value: 'list' },
    privileged: { kind: 'bool', description: 'Give extended privileges to this container' },
    'security-opt': { kind: 'list', description: 'Security options: seccomp=PROFILE.json|unconfined, no-new-privileges[=true|false], apparmor=unconfined, label=disable', value: 'list' },
    ulimit: { kind: 'list', description: 'Ulimit options (e.g. nofile=1024:2048)', value: 'ulimit' },
    runtime: { kind: 'string', description: 'OCI runtime to use: crun (default) or runc', value: 'string' },
};

/** The engine's options for a new container from `run`/`create` arguments: IMAGE [COMMAND] [ARG...]. */
export function createOptions(args: Parsed, image: string, cmd: string[]): CreateContainerOptions {
  const entrypoint = flagString(args, 'entrypoint');
  const expose = flagList(args, 'expose').flatMap(parseExpose);
  return {
    image,
    cmd,
    ...(expose.length > 0 ? { exposedPorts: expose } : {}),
    env: [...readEnvFiles(flagList(args, 'env-file')), ...flagList(args, 'env').map((e) => parseEnvOption(e, lookupEnv))],
    host: hostConfig(args),
    tmpfs: flagList(args, 'tmpfs'),
    tty: flagBool(args, 'tty'),
    ...optional('name', flagString(args, 'name')),
    ...optional('workingDir', flagString(args, 'workdir')),
    ...optional('user', flagString(args, 'user')),
    ...optional('hostname', flagString(args, 'hostname')),
    ...(entrypoint === undefined ? {} : { entrypoint: entrypoint === '' ? [] : [entrypoint] }),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function hostConfig(args: Parsed): Partial<HostConfig> {
  const network = parseNetworkMode(flagString(args, 'network') ?? flagString(args, 'net') ?? 'bridge');
  const memory = flagString(args, 'memory');
  const swap = flagString(args, 'memory-swap');
  const cpus = flagString(args, 'cpus');
  const pids = flagString(args, 'pids-limit');
  const host: Partial<HostConfig> = {
    autoRemove: flagBool(args, 'rm'),
    networkMode: network,
    readonlyRootfs: flagBool(args, 'read-only'),
    privileged: flagBool(args, 'privileged'),
    capAdd: flagList(args, 'cap-add'),
    capDrop: flagList(args, 'cap-drop'),
    securityOpt: flagList(args, 'security-opt').map(inlineSeccompProfile),
    ulimits: flagList(args, 'ulimit').map(parseUlimit),
    binds: [...flagList(args, 'volume').map(parseVolumeFlag), ...flagList(args, 'mount').map(parseMountFlag)],
    volumesFrom: flagList(args, 'volumes-from'),
    runtime: flagString(args, 'runtime') ?? '',
  };
  const publish = flagList(args, 'publish').flatMap(parsePublish);
  if (publish.length > 0) host.portBindings = publish;
  if (flagBool(args, 'publish-all')) host.publishAllPorts = true;
  const aliases = flagList(args, 'network-alias');
  if (aliases.length > 0) host.networkAliases = aliases;
  const ip = flagString(args, 'ip');
  if (ip !== undefined) host.ipv4Address = ip;
  const mac = flagString(args, 'mac-address');
  if (mac !== undefined) host.macAddress = mac;
  const restart = flagString(args, 'restart');
  if (restart !== undefined) host.restartPolicy = parseRestartPolicy(restart);
  host.logConfig = logConfig(flagString(args, 'log-driver') ?? 'json-file', flagList(args, 'log-opt'));
  if (host.restartPolicy && host.restartPolicy.name !== 'no' && host.autoRemove) {
    throw errors.invalidArgument('CONFLICTING_OPTIONS', 'Conflicting options: --restart and --rm');
  }
  if (memory !== undefined) host.memory = parseBytes(memory);
  if (swap !== undefined) host.memorySwap = swap === '-1' ? -1 : parseBytes(swap);
  if (cpus !== undefined) {
    const value = Number(cpus);
    if (!Number.isFinite(value) || value <= 0) throw errors.invalidArgument('INVALID_CPUS', `Invalid --cpus "${cpus}": must be a positive number`);
    host.nanoCpus = Math.round(value * 1e9);
  }
  if (pids !== undefined) {
    const value = Number(pids);
    if (!Number.isInteger(value)) throw errors.invalidArgument('INVALID_PIDS_LIMIT', `Invalid --pids-limit "${pids}": must be an integer`);
    if (value > 0) host.pidsLimit = value;
  }
  return host;
}

/** Each `--env-file` in order, read as Docker reads them (see parseEnvFile). */
export function readEnvFiles(files: string[]): string[] {
  return files.flatMap((file) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw errors.notFound('ENV_FILE_NOT_FOUND', `Cannot read env file "${file}": ${(err as Error).message}`, { cause: err });
    }
    return parseEnvFile(bytes, file, lookupEnv);
  });
}

const lookupEnv = (name: string): string | undefined => process.env[name];

/**
 * `seccomp=FILE` becomes `seccomp=<the file's JSON>`, as docker's CLI sends it: the container
 * record keeps the profile it was created with, and a missing or broken file fails here.
 */
function inlineSeccompProfile(opt: string): string {
  const m = /^seccomp[=:]([\s\S]*)$/.exec(opt);
  const file = m?.[1];
  if (file === undefined || ['unconfined', 'builtin', 'default'].includes(file)) return opt;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw errors.notFound('SECCOMP_PROFILE_NOT_FOUND', `Cannot read seccomp profile "${file}": ${(err as Error).message}`, { cause: err });
  }
  try {
    return `seccomp=${JSON.stringify(JSON.parse(text))}`;
  } catch (err) {
    throw errors.invalidArgument('INVALID_SECCOMP_PROFILE', `Invalid seccomp profile "${file}": ${(err as Error).message}`, { cause: err });
  }
}

/** Docker's `--restart` values: no, on-failure[:N], always, unless-stopped (with Docker's messages). */
export function parseRestartPolicy(spec: string): RestartPolicy {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const count = colon < 0 ? undefined : spec.slice(colon + 1);
  if (count !== undefined && !/^\d+$/.test(count)) {
    throw errors.invalidArgument('INVALID_RESTART_POLICY', 'invalid restart policy format: maximum retry count must be an integer');
  }
  switch (name) {
    case 'on-failure':
      return { name, maximumRetryCount: Number(count ?? 0) };
    case 'no':
    case 'always':
    case 'unless-stopped':
      if (count !== undefined && Number(count) !== 0) {
        throw errors.invalidArgument('INVALID_RESTART_POLICY', `maximum retry count cannot be used with restart policy '${name}'`);
      }
      return { name, maximumRetryCount: 0 };
    default:
      throw errors.invalidArgument('INVALID_RESTART_POLICY', `invalid restart policy '${name}'`);
  }
}

/** `--log-driver` and `--log-opt`: the drivers berth writes, and the options each takes. */
function logConfig(driver: string, opts: string[]): LogConfig {
  if (driver !== 'json-file' && driver !== 'none') {
    throw errors.invalidArgument('INVALID_LOG_DRIVER', `logger: no log driver named '${driver}' is registered: berth writes json-file and none`);
  }
  const config: Record<string, string> = {};
  for (const opt of opts) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? '' : opt.slice(eq + 1);
    if (driver === 'none' || !['max-size', 'max-file'].includes(key)) {
      throw errors.invalidArgument('INVALID_LOG_OPT', `unknown log opt '${key}' for ${driver} log driver`);
    }
    if (key === 'max-size') parseBytes(value);
    if (key === 'max-file' && !(/^\d+$/.test(value) && Number(value) >= 1)) {
      throw errors.invalidArgument('INVALID_LOG_OPT', `invalid value for max-file: ${value}: must be a number of at least 1`);
    }
    config[key] = value;
  }
  if (config['max-file'] !== undefined && Number(config['max-file']) > 1 && config['max-size'] === undefined) {
    throw errors.invalidArgument('INVALID_LOG_OPT', 'max-file cannot be set without max-size');
  }
  return { type: driver, config };
}
