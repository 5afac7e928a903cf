/**
 * The flags `run` and `create` share — what a container is made of — and their translation into
 * the engine's CreateContainerOptions. A flag is added here once and both commands take it.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';

import { errors, parseGoDuration } from '../base/index.js';
import type { HealthConfig } from '../oci/index.js';
import type { CreateContainerOptions, HostConfig, RestartPolicy } from '../api/index.js';
import { flagValueUnsupported, nanoCpusOfQuota, unsupportedHostOptions } from '../api/index.js';
import {
  parseBytes, parseDeviceMapping, parseExpose, parseIpcMode, parseMountFlag, parseNetworkMode, parsePidMode, parsePublish, parseRestartPolicy as parseRestartPolicyRule,
  parseSysctl, parseUlimit, parseVolumeFlag, joinsNetworks, parseDnsSearch, parseDnsServer, parseExtraHost, parseLink, parseLogConfig,
  checkBlkioWeight, checkMemorySwappiness, parseCgroupnsMode, parseDeviceCgroupRule, parseThrottleDevice, parseUtsMode, parseWeightDevice,
} from '../api/index.js';
import { flagBool, flagList, flagString } from './args.js';
import type { FlagSpec, FlagSpecs, Parsed } from './args.js';
import { parseEnvFile, parseEnvOption } from './env-file.js';
import { pullFlag } from './pull-missing.js';
import { checkContentTrust, contentTrustFlags } from './content-trust.js';
import { checkHostPlatform } from './host-platform-flag.js';

/** The memory and CPU flags `run`, `create`, `update` and `build` share, as limitFlags reads them. */
export const limitFlagSpecs: FlagSpecs = {
  memory: { kind: 'string', short: 'm', description: 'Memory limit (e.g. 32m, 1g)', value: 'bytes' },
  'memory-swap': { kind: 'string', description: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", value: 'bytes' },
  'cpu-period': { kind: 'string', description: 'Limit CPU CFS (Completely Fair Scheduler) period (with --cpu-quota)', value: 'int' },
  'cpu-quota': { kind: 'string', description: 'Limit CPU CFS (Completely Fair Scheduler) quota', value: 'int' },
  'cpu-shares': { kind: 'string', short: 'c', description: 'CPU shares (relative weight)', value: 'int' },
  'cpuset-cpus': { kind: 'string', description: 'CPUs in which to allow execution (0-3, 0,1)', value: 'string' },
  'cpuset-mems': { kind: 'string', description: 'MEMs in which to allow execution (0-3, 0,1)', value: 'string' },
};

export const containerFlags: FlagSpecs = {
  pull: pullFlag,
  platform: { kind: 'string', description: 'Set platform if server is multi-platform capable (only the host platform)', value: 'string' },
  ...contentTrustFlags,
  interactive: { kind: 'bool', short: 'i', description: 'Keep STDIN open even if not attached' },
  tty: { kind: 'bool', short: 't', description: 'Allocate a pseudo-TTY' },
  restart: { kind: 'string', description: 'Restart policy to apply when a container exits: no, on-failure[:max-retries], always, unless-stopped', value: 'string' },
  'log-driver': { kind: 'string', description: 'Logging driver for the container: json-file (default), local or none', value: 'string' },
  'log-opt': { kind: 'list', description: 'Log driver options: max-size=SIZE, max-file=N, compress=true|false; json-file also labels=, labels-regex=, env=, env-regex=, tag=', value: 'list' },
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
    ...limitFlagSpecs,
    cpus: { kind: 'string', description: 'Number of CPUs (e.g. 0.5)', value: 'decimal' },
    'pids-limit': { kind: 'string', description: 'Tune container pids limit (-1 for unlimited)', value: 'int' },
    network: { kind: 'list', description: 'Connect a container to a network: bridge (default), a network\'s name, host, none or container:NAME; repeat to join several networks', value: 'network' },
    'network-alias': { kind: 'list', description: 'Add network-scoped alias for the container (user networks)', value: 'list' },
    ip: { kind: 'string', description: 'IPv4 address (e.g., 172.30.100.104) on a user network', value: 'string' },
    'mac-address': { kind: 'string', description: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)', value: 'string' },
    publish: { kind: 'list', short: 'p', description: "Publish a container's port(s) to the host: [IP:][HOSTPORT:]CPORT[/PROTO], ranges", value: 'list' },
    'publish-all': { kind: 'bool', short: 'P', description: 'Publish all exposed ports to random ports' },
    expose: { kind: 'list', description: 'Expose a port or a range of ports', value: 'list' },
    net: { kind: 'list', description: 'Alias of --network', value: 'network' },
    'add-host': { kind: 'list', description: 'Add a custom host-to-IP mapping (host:ip, or host:host-gateway for the host)', value: 'list' },
    dns: { kind: 'list', description: 'Set custom DNS servers', value: 'list' },
    'dns-search': { kind: 'list', description: 'Set custom DNS search domains', value: 'list' },
    'dns-option': { kind: 'list', description: 'Set DNS options', value: 'list' },
    domainname: { kind: 'string', description: 'Container NIS domain name', value: 'string' },
    link: { kind: 'list', description: 'Add link to another container (NAME[:ALIAS]: an /etc/hosts entry)', value: 'list' },
    'read-only': { kind: 'bool', description: "Mount the container's root filesystem as read only" },
    'cap-add': { kind: 'list', description: 'Add Linux capabilities', value: 'list' },
    'cap-drop': { kind: 'list', description: 'Drop Linux capabilities', value: 'list' },
    privileged: { kind: 'bool', description: 'Give extended privileges to this container' },
    'security-opt': { kind: 'list', description: 'Security options: seccomp=PROFILE.json|unconfined, no-new-privileges[=true|false], apparmor=unconfined, label=disable, systempaths=unconfined', value: 'list' },
    ulimit: { kind: 'list', description: 'Ulimit options (e.g. nofile=1024:2048)', value: 'ulimit' },
    runtime: { kind: 'string', description: 'OCI runtime to use: crun (default) or runc', value: 'string' },
    ...moreContainerFlags(),
    ...unsupportedFlags(),
    'health-cmd': { kind: 'string', description: 'Command to run to check health (run by /bin/sh -c in the container)', value: 'string' },
    'health-interval': { kind: 'string', description: 'Time between running the check (ms|s|m|h) (default 30s)', value: 'duration' },
    'health-timeout': { kind: 'string', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 30s)', value: 'duration' },
    'health-retries': { kind: 'string', description: 'Consecutive failures needed to report unhealthy (default 3)', value: 'int' },
    'health-start-period': { kind: 'string', description: 'Start period for the container to initialize before failures count toward retries (ms|s|m|h) (default 0s)', value: 'duration' },
    'health-start-interval': { kind: 'string', description: 'Time between running the check during the start period (ms|s|m|h) (default 5s)', value: 'duration' },
    'no-healthcheck': { kind: 'bool', description: 'Disable any container-specified HEALTHCHECK' },
};
/** The flags of issue 9's "flags users type" (parsed by moreHostConfig). */
function moreContainerFlags(): FlagSpecs {
  return {
    label: { kind: 'list', short: 'l', description: 'Set meta data on a container (KEY=VALUE)', value: 'list' },
    'label-file': { kind: 'list', description: 'Read in a line delimited file of labels', value: 'list' },
    'stop-signal': { kind: 'string', description: 'Signal to stop the container (default the image\'s STOPSIGNAL, else SIGTERM)', value: 'string' },
    'stop-timeout': { kind: 'string', description: 'Timeout (in seconds) to stop a container before killing it', value: 'int' },
    'shm-size': { kind: 'string', description: 'Size of /dev/shm (default 64m)', value: 'bytes' },
    sysctl: { kind: 'list', description: 'Namespaced kernel parameters: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.* (NAME=VALUE)', value: 'map' },
    'group-add': { kind: 'list', description: 'Add additional groups to join (name or gid)', value: 'list' },
    ipc: { kind: 'string', description: 'IPC mode to use: private (default), shareable, host, none, container:NAME', value: 'string' },
    pid: { kind: 'string', description: 'PID namespace to use: host or container:NAME', value: 'string' },
    device: { kind: 'list', description: 'Add a host device to the container (HOST[:CONTAINER][:PERMS], PERMS some of rwm)', value: 'list' },
    cidfile: { kind: 'string', description: 'Write the container ID to the file (which must not exist)', value: 'string' },
    'oom-score-adj': { kind: 'string', description: "Tune host's OOM preferences (-1000 to 1000)", value: 'int' },
    'memory-reservation': { kind: 'string', description: 'Memory soft limit', value: 'bytes' },
    init: { kind: 'bool', description: 'Run an init inside the container that forwards signals and reaps processes' },
    uts: { kind: 'string', description: 'UTS namespace to use: host (the host\'s hostname)', value: 'string' },
    cgroupns: { kind: 'string', description: 'Cgroup namespace to use: private (default) or host', value: 'string' },
    'oom-kill-disable': { kind: 'bool', description: 'Disable OOM Killer (cgroup v1)' },
    'memory-swappiness': { kind: 'string', description: 'Tune container memory swappiness (0 to 100; cgroup v1) (default -1)', value: 'int' },
    'blkio-weight': { kind: 'string', description: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', value: 'uint16' },
    'blkio-weight-device': { kind: 'list', description: 'Block IO weight (relative device weight): DEVICE:WEIGHT', value: 'list' },
    'device-read-bps': { kind: 'list', description: 'Limit read rate (bytes per second) from a device: DEVICE:RATE[kb|mb|gb]', value: 'list' },
    'device-write-bps': { kind: 'list', description: 'Limit write rate (bytes per second) to a device: DEVICE:RATE[kb|mb|gb]', value: 'list' },
    'device-read-iops': { kind: 'list', description: 'Limit read rate (IO per second) from a device: DEVICE:RATE', value: 'list' },
    'device-write-iops': { kind: 'list', description: 'Limit write rate (IO per second) to a device: DEVICE:RATE', value: 'list' },
    'device-cgroup-rule': { kind: 'list', description: "Add a rule to the cgroup allowed devices list ('c 1:3 rwm', '*' for any number)", value: 'list' },
    annotation: { kind: 'list', description: 'Add an annotation to the container (passed through to the OCI runtime): KEY=VALUE', value: 'map' },
  };
}

/** Docker's flags for what berth does not have (api/unsupported-host-options.ts), in the help with why. */
function unsupportedFlags(): FlagSpecs {
  const specs: FlagSpecs = {};
  for (const { flag, why, allowed } of unsupportedHostOptions) if (flag) specs[flag.name] = refusedFlagSpec(flag, why, allowed);
  return specs;
}

/** A Docker flag berth refuses (or takes only some values of), as its help shows it: `(not supported: why)`, `(only X: why)`. */
export function refusedFlagSpec(flag: { kind: 'bool' | 'string' | 'list'; description: string }, why: string, allowed?: readonly (string | number)[]): FlagSpec {
  const limit = allowed ? `only ${allowed.join(', ')}` : 'not supported';
  return { kind: flag.kind, description: `${flag.description} (${limit}: ${why})`, ...(flag.kind === 'bool' ? {} : { value: flag.kind }) };
}

/** Refuses those flags, with the daemon's reason, unless given what berth does anyway (--cgroupns private). */
function refuseUnsupportedFlags(args: Parsed): void {
  for (const option of unsupportedHostOptions) {
    const value = option.flag ? args.flags.get(option.flag.name) : undefined;
    if (value !== undefined && flagValueUnsupported(option, value)) {
      throw errors.invalidArgument('UNSUPPORTED_OPTION', `--${option.flag!.name} is not supported by berth: ${option.why}`);
    }
  }
}

/** The engine's options for a new container from `run`/`create` arguments: IMAGE [COMMAND] [ARG...]. */
export function createOptions(args: Parsed, image: string, cmd: string[]): CreateContainerOptions {
  refuseUnsupportedFlags(args);
  checkHostPlatform(flagString(args, 'platform'), 'RUN_PLATFORM', 'run a container');
  checkContentTrust(args);
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
    ...optional('domainname', flagString(args, 'domainname')),
    ...(entrypoint === undefined ? {} : { entrypoint: entrypoint === '' ? [] : [entrypoint] }),
    ...configFlags(args),
    ...optionalHealthcheck(healthcheckFlags(args)),
  };
}

const optionalHealthcheck = (healthcheck: HealthConfig | undefined) => (healthcheck ? { healthcheck } : {});

/**
 * `--health-*` and `--no-healthcheck` as docker's CLI reads them: a Healthcheck with only the
 * fields given (the image's fill the rest), `--health-cmd` a CMD-SHELL test, `--no-healthcheck`
 * the test `NONE`; undefined when none is given.
 */
export function healthcheckFlags(args: Parsed): HealthConfig | undefined {
  const duration = (name: string) => {
    const text = flagString(args, name);
    if (text === undefined) return 0;
    const ns = parseGoDuration(text);
    if (ns === undefined) throw errors.invalidArgument('INVALID_FLAG_VALUE', `invalid argument "${text}" for "--${name}" flag: time: invalid duration "${text}"`);
    if (ns < 0) throw errors.invalidArgument('INVALID_HEALTHCHECK', `--${name} cannot be negative`);
    return ns;
  };
  const cmd = flagString(args, 'health-cmd') ?? '';
  const interval = duration('health-interval');
  const timeout = duration('health-timeout');
  const startPeriod = duration('health-start-period');
  const startInterval = duration('health-start-interval');
  const retriesText = flagString(args, 'health-retries');
  let retries = 0;
  if (retriesText !== undefined) {
    if (!/^[+-]?[0-9]+$/.test(retriesText)) {
      throw errors.invalidArgument('INVALID_FLAG_VALUE', `invalid argument "${retriesText}" for "--health-retries" flag: strconv.ParseInt: parsing "${retriesText}": invalid syntax`);
    }
    retries = Number(retriesText);
    if (retries < 0) throw errors.invalidArgument('INVALID_HEALTHCHECK', '--health-retries cannot be negative');
  }
  const any = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || startInterval !== 0 || retries !== 0;
  if (flagBool(args, 'no-healthcheck')) {
    if (any) throw errors.invalidArgument('CONFLICTING_OPTIONS', '--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  return {
    ...(cmd !== '' ? { Test: ['CMD-SHELL', cmd] } : {}),
    ...(interval ? { Interval: interval } : {}),
    ...(timeout ? { Timeout: timeout } : {}),
    ...(startPeriod ? { StartPeriod: startPeriod } : {}),
    ...(startInterval ? { StartInterval: startInterval } : {}),
    ...(retries ? { Retries: retries } : {}),
  };
}
/** `--label KEY=VALUE` (or a bare KEY: an empty value) as a map; a later KEY wins. */
export function labelMap(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const label of labels) {
    const eq = label.indexOf('=');
    const key = eq < 0 ? label : label.slice(0, eq);
    if (key === '') throw errors.invalidArgument('INVALID_LABEL', `Invalid label "${label}": no key`);
    out[key] = eq < 0 ? '' : label.slice(eq + 1);
  }
  return out;
}

/** Labels, stop signal and stop timeout: what Docker keeps in the container's Config. */
function configFlags(args: Parsed): Pick<CreateContainerOptions, 'labels' | 'stopSignal' | 'stopTimeout'> {
  const out: Pick<CreateContainerOptions, 'labels' | 'stopSignal' | 'stopTimeout'> = {};
  const labels = [...readLabelFiles(flagList(args, 'label-file')), ...flagList(args, 'label')];
  if (labels.length > 0) out.labels = labelMap(labels);
  const signal = flagString(args, 'stop-signal');
  if (signal !== undefined) out.stopSignal = signal;
  const timeout = flagString(args, 'stop-timeout');
  if (timeout !== undefined) out.stopTimeout = parseInteger(timeout, 'stop-timeout');
  return out;
}

/** Each `--label-file` in order: Docker reads them as env files, a bare KEY being an empty label. */
function readLabelFiles(files: string[]): string[] {
  return files.flatMap((file) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw errors.notFound('LABEL_FILE_NOT_FOUND', `Cannot read label file "${file}": ${(err as Error).message}`, { cause: err });
    }
    try {
      return parseEnvFile(bytes, file, () => '');
    } catch (err) {
      if (err instanceof Error) err.message = err.message.replace(/env file/i, 'Label file');
      throw err;
    }
  });
}

function parseInteger(text: string, flag: string): number {
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(Number(text))) {
    throw errors.invalidArgument('INVALID_INTEGER', `invalid argument "${text}" for "--${flag}" flag: must be an integer`);
  }
  return Number(text);
}

/** The HostConfig of the issue-9 flags; the engine checks what depends on the host and the store. */
function moreHostConfig(args: Parsed): Partial<HostConfig> {
  const host: Partial<HostConfig> = {};
  const str = (name: string) => flagString(args, name);
  const sysctls = flagList(args, 'sysctl');
  if (sysctls.length > 0) host.sysctls = Object.fromEntries(sysctls.map(parseSysctl));
  const groups = flagList(args, 'group-add');
  if (groups.length > 0) host.groupAdd = groups;
  const ipc = str('ipc');
  if (ipc !== undefined) host.ipcMode = parseIpcMode(ipc);
  const pid = str('pid');
  if (pid !== undefined && pid !== '') host.pidMode = parsePidMode(pid);
  const devices = flagList(args, 'device');
  if (devices.length > 0) host.devices = devices.map(parseDeviceMapping);
  const oom = str('oom-score-adj');
  if (oom !== undefined) host.oomScoreAdj = parseInteger(oom, 'oom-score-adj');
  const reservation = str('memory-reservation');
  if (reservation !== undefined) host.memoryReservation = parseBytes(reservation);
  if (flagBool(args, 'init')) host.init = true;
  Object.assign(host, cgroupHostConfig(args));
  return host;
}

/** `--uts`, `--cgroupns`, the OOM, swappiness and block I/O flags, device cgroup rules and annotations. */
function cgroupHostConfig(args: Parsed): Partial<HostConfig> {
  const host: Partial<HostConfig> = {};
  const str = (name: string) => flagString(args, name);
  const uts = str('uts');
  if (uts !== undefined && parseUtsMode(uts)) host.utsMode = 'host';
  const cgroupns = str('cgroupns');
  if (cgroupns !== undefined && parseCgroupnsMode(cgroupns)) host.cgroupnsMode = 'host';
  if (flagBool(args, 'oom-kill-disable')) host.oomKillDisable = true;
  const swappiness = str('memory-swappiness');
  if (swappiness !== undefined) {
    const value = checkMemorySwappiness(parseInteger(swappiness, 'memory-swappiness'));
    if (value !== undefined) host.memorySwappiness = value;
  }
  const weight = str('blkio-weight');
  if (weight !== undefined) {
    const value = checkBlkioWeight(parseInteger(weight, 'blkio-weight'));
    if (value !== undefined) host.blkioWeight = value;
  }
  const weights = flagList(args, 'blkio-weight-device').map(parseWeightDevice);
  if (weights.length > 0) host.blkioWeightDevice = weights;
  for (const [flag, key, unit] of [
    ['device-read-bps', 'blkioDeviceReadBps', 'bytes'], ['device-write-bps', 'blkioDeviceWriteBps', 'bytes'],
    ['device-read-iops', 'blkioDeviceReadIOps', 'iops'], ['device-write-iops', 'blkioDeviceWriteIOps', 'iops'],
  ] as const) {
    const list = flagList(args, flag).map((text) => parseThrottleDevice(flag, text, unit));
    if (list.length > 0) host[key] = list;
  }
  const rules = flagList(args, 'device-cgroup-rule');
  for (const rule of rules) {
    try {
      parseDeviceCgroupRule(rule);
    } catch (err) {
      throw errors.invalidArgument('INVALID_FLAG_VALUE', `invalid argument "${rule}" for "--device-cgroup-rule" flag: ${(err as Error).message}`);
    }
  }
  if (rules.length > 0) host.deviceCgroupRules = rules;
  const annotations = flagList(args, 'annotation');
  if (annotations.length > 0) host.annotations = annotationMap(annotations);
  return host;
}

/** `--annotation KEY=VALUE` (docker's: a key is needed, a later KEY wins). */
function annotationMap(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of list) {
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    if (key === '') throw errors.invalidArgument('INVALID_FLAG_VALUE', `invalid argument "${text}" for "--annotation" flag: invalid key ''`);
    out[key] = eq < 0 ? '' : text.slice(eq + 1);
  }
  return out;
}

/**
 * `--cidfile FILE`: refused before anything is created when FILE exists (Docker's message), made
 * empty meanwhile, removed when the create fails, the container's id written once it exists.
 */
export async function createWithCidFile<T extends { id: string }>(args: Parsed, create: () => Promise<T>): Promise<T> {
  const file = flagString(args, 'cidfile');
  if (file === undefined || file === '') return create();
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw errors.alreadyExists('CIDFILE_EXISTS', `container ID file found, make sure the other container isn't running or delete ${file}`);
    }
    throw errors.invalidArgument('INVALID_CIDFILE', `failed to create the container ID file: ${(err as Error).message}`, { cause: err });
  }
  try {
    const record = await create();
    writeSync(fd, record.id);
    return record;
  } catch (err) {
    rmSync(file, { force: true });
    throw err;
  } finally {
    closeSync(fd);
  }
}


function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * The networking flags of issue 11 besides `--network`: a repeated `--network` (the networks
 * after the first, user networks only), `--add-host`, `--dns*`, `--link`.
 */
function hostEntryFlags(args: Parsed, networks: string[]): Partial<HostConfig> {
  const host: Partial<HostConfig> = {};
  if (networks.length > 1) {
    const special = networks.find((n) => !joinsNetworks(n));
    if (special !== undefined) throw errors.invalidArgument('CONFLICTING_OPTIONS', `conflicting options: cannot attach both user-defined and non-user-defined network-modes (${special})`);
    if (new Set(networks).size !== networks.length) throw errors.invalidArgument('CONFLICTING_OPTIONS', `network ${networks.find((n, i) => networks.indexOf(n) !== i)} is specified multiple times`);
    host.networks = networks.map((network) => ({ network }));
  }
  const extraHosts = flagList(args, 'add-host').map(parseExtraHost);
  if (extraHosts.length > 0) host.extraHosts = extraHosts;
  const dns = flagList(args, 'dns').map(parseDnsServer);
  if (dns.length > 0) host.dns = dns;
  const search = flagList(args, 'dns-search').map(parseDnsSearch);
  if (search.length > 0) host.dnsSearch = search;
  const options = flagList(args, 'dns-option');
  if (options.length > 0) host.dnsOptions = options;
  const links = flagList(args, 'link').map(parseLink).map((l) => `${l.name}:${l.alias}`);
  if (links.length > 0) host.links = links;
  return host;
}

/**
 * `--security-opt`: a seccomp profile's file read into its JSON, and `systempaths=unconfined`
 * turned into empty masked and read-only path lists, as the docker CLI does (it sends neither
 * option to the daemon).
 */
function securityFlags(options: string[]): Pick<HostConfig, 'securityOpt' | 'maskedPaths' | 'readonlyPaths'> {
  const out: Pick<HostConfig, 'securityOpt' | 'maskedPaths' | 'readonlyPaths'> = { securityOpt: [] };
  for (const opt of options) {
    const systemPaths = /^systempaths[=:](.*)$/.exec(opt);
    if (!systemPaths) {
      out.securityOpt.push(inlineSeccompProfile(opt));
      continue;
    }
    if (systemPaths[1] !== 'unconfined') throw errors.invalidArgument('INVALID_SECURITY_OPT', `Invalid --security-opt "${opt}": systempaths takes only unconfined`);
    out.maskedPaths = [];
    out.readonlyPaths = [];
  }
  return out;
}

/**
 * The memory, CPU, /dev/shm and ulimit flags `run`, `create` and `build` share (build has no
 * `--cpus`), as HostConfig fields; what a command does not have reads as not given.
 */
export function limitFlags(args: Parsed): Pick<HostConfig, 'ulimits'> & Partial<Pick<HostConfig, 'memory' | 'memorySwap' | 'nanoCpus' | 'cpuShares' | 'cpusetCpus' | 'cpusetMems' | 'shmSize'>> {
  const out: ReturnType<typeof limitFlags> = { ulimits: flagList(args, 'ulimit').map(parseUlimit) };
  const str = (name: string) => flagString(args, name);
  const memory = str('memory');
  if (memory !== undefined) out.memory = parseBytes(memory);
  const swap = str('memory-swap');
  if (swap !== undefined) out.memorySwap = swap === '-1' ? -1 : parseBytes(swap);
  const cpus = str('cpus');
  if (cpus !== undefined) {
    const value = Number(cpus);
    if (!Number.isFinite(value) || value <= 0) throw errors.invalidArgument('INVALID_CPUS', `Invalid --cpus "${cpus}": must be a positive number`);
    out.nanoCpus = Math.round(value * 1e9);
  }
  const quota = nanoCpusOfQuota(intFlag(args, 'cpu-quota') ?? 0, intFlag(args, 'cpu-period') ?? 0, { quota: '--cpu-quota', period: '--cpu-period' }, cpus !== undefined);
  if (quota !== undefined) out.nanoCpus = quota;
  const shares = str('cpu-shares');
  if (shares !== undefined) out.cpuShares = parseInteger(shares, 'cpu-shares');
  const cpuset = str('cpuset-cpus');
  if (cpuset !== undefined && cpuset !== '') out.cpusetCpus = cpuset;
  const mems = str('cpuset-mems');
  if (mems !== undefined && mems !== '') out.cpusetMems = mems;
  const shm = str('shm-size');
  if (shm !== undefined) {
    if (!/^\d/.test(shm.trim())) throw errors.invalidArgument('INVALID_SIZE', `invalid argument "${shm}" for "--shm-size" flag: invalid size: '${shm}'`);
    const bytes = parseBytes(shm);
    if (bytes > 0) out.shmSize = bytes;
  }
  return out;
}

function hostConfig(args: Parsed): Partial<HostConfig> {
  const networkFlags = [...flagList(args, 'network'), ...flagList(args, 'net')].map(parseNetworkMode);
  const network = networkFlags[0] ?? 'bridge';
  const pids = flagString(args, 'pids-limit');
  const host: Partial<HostConfig> = {
    autoRemove: flagBool(args, 'rm'),
    networkMode: network,
    readonlyRootfs: flagBool(args, 'read-only'),
    privileged: flagBool(args, 'privileged'),
    capAdd: flagList(args, 'cap-add'),
    capDrop: flagList(args, 'cap-drop'),
    ...securityFlags(flagList(args, 'security-opt')),
    ...limitFlags(args),
    binds: [...flagList(args, 'volume').map(parseVolumeFlag), ...flagList(args, 'mount').map(parseMountFlag)],
    volumesFrom: flagList(args, 'volumes-from'),
    runtime: flagString(args, 'runtime') ?? '',
    ...moreHostConfig(args),
  };
  const publish = flagList(args, 'publish').flatMap(parsePublish);
  if (publish.length > 0) host.portBindings = publish;
  if (flagBool(args, 'publish-all')) host.publishAllPorts = true;
  Object.assign(host, hostEntryFlags(args, networkFlags));
  const aliases = flagList(args, 'network-alias');
  if (aliases.length > 0) host.networkAliases = aliases;
  const ip = flagString(args, 'ip');
  if (ip !== undefined) host.ipv4Address = ip;
  const mac = flagString(args, 'mac-address');
  if (mac !== undefined) host.macAddress = mac;
  const restart = flagString(args, 'restart');
  if (restart !== undefined) host.restartPolicy = parseRestartPolicy(restart);
  host.logConfig = parseLogConfig(flagString(args, 'log-driver') ?? 'json-file', flagList(args, 'log-opt'));
  if (host.restartPolicy && host.restartPolicy.name !== 'no' && host.autoRemove) {
    throw errors.invalidArgument('CONFLICTING_OPTIONS', 'conflicting options: cannot specify both --restart and --rm');
  }
  if (pids !== undefined) {
    const value = Number(pids);
    if (!Number.isInteger(value)) throw errors.invalidArgument('INVALID_PIDS_LIMIT', `Invalid --pids-limit "${pids}": must be an integer`);
    if (value > 0) host.pidsLimit = value;
  }
  return host;
}

/** An integer flag (`--cpu-quota 50000`) when given, read as parseInteger reads one. */
export function intFlag(args: Parsed, name: string): number | undefined {
  const text = flagString(args, name);
  return text === undefined ? undefined : parseInteger(text, name);
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

/** Docker's `--restart` values: no, on-failure[:N], always, unless-stopped (with Docker's messages; core/containers). */
export function parseRestartPolicy(spec: string): RestartPolicy {
  return parseRestartPolicyRule(spec);
}
