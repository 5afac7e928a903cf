/**
 * `POST /containers/create`'s body — Docker's Config with HostConfig and NetworkingConfig — as the
 * Engine's CreateContainerOptions. Every field berth honours is mapped with the parsers `run`'s
 * flags use (src/api), so a body and the flags that produced it make the same container; a field
 * berth cannot honour is a 400 naming it when it asks for anything (zero values, which every
 * client sends, are fine). Unknown fields are ignored, as dockerd ignores them.
 */
import { errors } from '../base/index.js';
import type { HealthConfig } from '../oci/index.js';
import type { CreateContainerOptions, HostConfig, MountSpec, PortBinding } from '../api/index.js';
import { blkioThrottleFields, nanoCpusOfQuota, unsupportedHostOptions } from '../api/index.js';
import {
  parseDeviceMapping, parseDnsSearch, parseDnsServer, parseExpose, parseExtraHost, parseIpcMode, parseLink, parseLogConfig, parseNetworkMode,
  parsePidMode, parsePublish, parseRestartPolicy, parseSysctl, parseUlimit, parseVolumeFlag, checkBlkioWeight, checkMemorySwappiness, parseDeviceCgroupRule,
} from '../api/index.js';

type Json = Record<string, unknown>;

const bad = (message: string) => errors.invalidArgument('INVALID_CREATE_BODY', message);
const unsupported = (field: string, why: string) => errors.invalidArgument('UNSUPPORTED_FIELD', `${field} is not supported by berth: ${why}`);

/** Typed reads of one JSON object, each naming the field (`HostConfig.Memory`) when its type is wrong. */
class Fields {
  constructor(private readonly object: Json, private readonly prefix: string) {}

  static of(value: unknown, prefix: string): Fields {
    if (value === undefined || value === null) return new Fields({}, prefix);
    if (typeof value !== 'object' || Array.isArray(value)) throw bad(`${prefix.replace(/\.$/, '') || 'the body'} must be a JSON object`);
    return new Fields(value as Json, prefix);
  }

  name(key: string): string {
    return `${this.prefix}${key}`;
  }

  raw(key: string): unknown {
    return this.object[key];
  }

  string(key: string): string | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw bad(`${this.name(key)} must be a string`);
    return v;
  }

  /** A string, where '' means unset (Docker's zero value). */
  text(key: string): string | undefined {
    const v = this.string(key);
    return v === '' ? undefined : v;
  }

  bool(key: string): boolean | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw bad(`${this.name(key)} must be true or false`);
    return v;
  }

  int(key: string): number | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`${this.name(key)} must be an integer`);
    return v;
  }

  /** A list of strings; Docker's strslice also takes one string. */
  strings(key: string, { single = false } = {}): string[] | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (single && typeof v === 'string') return [v];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw bad(`${this.name(key)} must be a list of strings`);
    return v as string[];
  }

  map(key: string): Record<string, string> | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((s) => typeof s !== 'string')) throw bad(`${this.name(key)} must be a map of strings`);
    return v as Record<string, string>;
  }

  /** The keys of an object used as a set (`ExposedPorts`, `Volumes`: `{"80/tcp": {}}`). */
  keys(key: string): string[] | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${this.name(key)} must be an object`);
    return Object.keys(v);
  }

  list(key: string): Fields[] | undefined {
    const v = this.object[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw bad(`${this.name(key)} must be a list`);
    return v.map((item, i) => Fields.of(item, `${this.name(key)}[${i}].`));
  }

  child(key: string): Fields {
    return Fields.of(this.object[key], `${this.name(key)}.`);
  }

  /** A field berth has no use for: fine while it is its zero value (0, '', false, null, [] or {}). */
  refuse(key: string, why: string, allowed: readonly unknown[] = []): void {
    const v = this.object[key];
    if (isZero(v) || allowed.includes(v)) return;
    throw unsupported(this.name(key), why);
  }
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === '' || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** The Engine's options for `POST /containers/create?name=NAME` with this body. */
export function createOptionsFromBody(body: unknown, name: string | undefined): CreateContainerOptions {
  const config = Fields.of(body, '');
  const image = config.text('Image');
  if (image === undefined) throw bad('Config.Image is required: name the image to create the container from');
  const host = hostConfig(config.child('HostConfig'), config);
  const options: CreateContainerOptions = { image, host };
  if (name !== undefined && name !== '') options.name = name;
  const cmd = config.strings('Cmd', { single: true });
  if (cmd && cmd.length > 0) options.cmd = cmd;
  const entrypoint = config.strings('Entrypoint', { single: true });
  // `--entrypoint ''` arrives as [""] (or []): no entrypoint at all, and not the image's Cmd either.
  if (entrypoint !== undefined) options.entrypoint = entrypoint.length === 1 && entrypoint[0] === '' ? [] : entrypoint;
  const env = config.strings('Env');
  if (env) options.env = env;
  const strings: ['workingDir' | 'user' | 'hostname' | 'domainname' | 'stopSignal', string][] = [['workingDir', 'WorkingDir'], ['user', 'User'], ['hostname', 'Hostname'], ['domainname', 'Domainname'], ['stopSignal', 'StopSignal']];
  for (const [option, field] of strings) {
    const v = config.text(field);
    if (v !== undefined) options[option] = v;
  }
  if (options.workingDir !== undefined && !options.workingDir.startsWith('/')) {
    throw bad(`the working directory '${options.workingDir}' is invalid, it needs to be an absolute path`);
  }
  if (config.bool('Tty')) options.tty = true;
  if (config.bool('OpenStdin')) options.openStdin = true;
  if (config.bool('StdinOnce')) options.stdinOnce = true;
  // Recorded as the client sent them (inspect shows them, as dockerd's does).
  const attach = { stdin: config.bool('AttachStdin') === true, stdout: config.bool('AttachStdout') === true, stderr: config.bool('AttachStderr') === true };
  if (attach.stdin || attach.stdout || attach.stderr) options.attach = attach;
  const labels = config.map('Labels');
  if (labels && Object.keys(labels).length > 0) options.labels = labels;
  const stopTimeout = config.int('StopTimeout');
  if (stopTimeout !== undefined) options.stopTimeout = stopTimeout;
  const exposed = [...(config.keys('ExposedPorts') ?? []), ...publishedPortKeys(config.child('HostConfig'))];
  if (exposed.length > 0) options.exposedPorts = [...new Set(exposed.flatMap((key) => parseExpose(key)))];
  const health = healthcheck(config.child('Healthcheck'), config.raw('Healthcheck'));
  if (health) options.healthcheck = health;
  const tmpfsMap = config.child('HostConfig').map('Tmpfs') ?? {};
  const tmpfsList = Object.entries(tmpfsMap).map(([path, opts]) => (opts === '' ? path : `${path}:${opts}`));
  if (tmpfsList.length > 0) options.tmpfs = tmpfsList;
  // Metadata only an image build or commit would use: refused rather than dropped.
  config.refuse('OnBuild', 'ONBUILD triggers are image metadata');
  config.refuse('Shell', 'SHELL is image metadata');
  const mac = config.text('MacAddress');
  if (mac !== undefined) host.macAddress = mac;
  if (config.bool('NetworkDisabled')) {
    if (host.networkMode !== 'bridge' && host.networkMode !== 'none') throw bad(`NetworkDisabled conflicts with HostConfig.NetworkMode "${host.networkMode}"`);
    host.networkMode = 'none';
  }
  networking(config.child('NetworkingConfig'), host);
  return options;
}

/** The keys of PortBindings (`80/tcp`), which Docker exposes too. */
function publishedPortKeys(hc: Fields): string[] {
  return hc.keys('PortBindings') ?? [];
}

function healthcheck(h: Fields, raw: unknown): HealthConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const out: HealthConfig = {};
  const test = h.strings('Test');
  if (test && test.length > 0) out.Test = test;
  for (const key of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
    const v = h.int(key);
    if (v === undefined || v === 0) continue;
    if (v < 0) throw bad(`Healthcheck.${key} can't be negative`);
    out[key] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function hostConfig(hc: Fields, config: Fields): Partial<HostConfig> {
  const host: Partial<HostConfig> = { binds: [] };
  const binds = host.binds as MountSpec[];
  for (const spec of hc.strings('Binds') ?? []) binds.push(parseVolumeFlag(spec));
  for (const mount of hc.list('Mounts') ?? []) binds.push(mountSpec(mount));
  // Config.Volumes: anonymous volumes (`-v /path`), unless a bind or mount already serves the
  // path (compose lists every volume's path there besides its Binds, as dockerd tolerates).
  const targets = new Set(binds.map((b) => b.target.replace(/\/+$/, '')));
  for (const path of config.keys('Volumes') ?? []) {
    if (!targets.has(path.replace(/\/+$/, ''))) binds.push(parseVolumeFlag(path));
  }
  const volumesFrom = hc.strings('VolumesFrom');
  if (volumesFrom && volumesFrom.length > 0) host.volumesFrom = volumesFrom;

  const mode = hc.text('NetworkMode');
  host.networkMode = mode === undefined ? 'bridge' : parseNetworkMode(mode);
  const ports = portBindings(hc);
  if (ports.length > 0) host.portBindings = ports;
  if (hc.bool('PublishAllPorts')) host.publishAllPorts = true;

  const restart = hc.child('RestartPolicy');
  const policyName = restart.text('Name');
  const retries = restart.int('MaximumRetryCount') ?? 0;
  if (policyName !== undefined || retries !== 0) host.restartPolicy = parseRestartPolicy(retries !== 0 ? `${policyName ?? ''}:${retries}` : policyName ?? 'no');
  if (hc.bool('AutoRemove')) {
    host.autoRemove = true;
    if (host.restartPolicy && host.restartPolicy.name !== 'no') throw bad("can't create 'AutoRemove' container with restart policy");
  }

  resources(hc, host);
  security(hc, host);

  const dns = hc.strings('Dns');
  if (dns && dns.length > 0) host.dns = dns.map(parseDnsServer);
  const dnsSearch = hc.strings('DnsSearch');
  if (dnsSearch && dnsSearch.length > 0) host.dnsSearch = dnsSearch.map(parseDnsSearch);
  const dnsOptions = hc.strings('DnsOptions');
  if (dnsOptions && dnsOptions.length > 0) host.dnsOptions = dnsOptions;
  const extraHosts = hc.strings('ExtraHosts');
  if (extraHosts && extraHosts.length > 0) host.extraHosts = extraHosts.map(parseExtraHost);
  const links = hc.strings('Links');
  if (links && links.length > 0) host.links = links.map(parseLink).map((l) => `${l.name}:${l.alias}`);

  const log = hc.child('LogConfig');
  const logOpts = Object.entries(log.map('Config') ?? {}).map(([k, v]) => `${k}=${v}`);
  host.logConfig = parseLogConfig(log.text('Type') ?? 'json-file', logOpts);

  const runtime = hc.text('Runtime');
  if (runtime !== undefined) host.runtime = runtime;
  if (hc.bool('Init')) host.init = true;
  const shm = hc.int('ShmSize');
  if (shm !== undefined && shm !== 0) {
    if (shm < 0) throw bad('SHM size can not be less than 0');
    host.shmSize = shm;
  }
  const groups = hc.strings('GroupAdd');
  if (groups && groups.length > 0) host.groupAdd = groups;
  const ipc = hc.text('IpcMode');
  if (ipc !== undefined) host.ipcMode = parseIpcMode(ipc);
  const pid = hc.text('PidMode');
  if (pid !== undefined) host.pidMode = parsePidMode(pid);
  const sysctls = hc.map('Sysctls');
  if (sysctls && Object.keys(sysctls).length > 0) host.sysctls = Object.fromEntries(Object.entries(sysctls).map(([k, v]) => parseSysctl(`${k}=${v}`)));

  cgroupOptions(hc, host);

  // What berth cannot do, refused when asked for (their zero values are what every client sends).
  for (const option of unsupportedHostOptions) hc.refuse(option.field, option.why, option.allowed);
  return host;
}

/** The namespace modes, the OOM, swappiness and block I/O settings, device rules, annotations and system paths. */
function cgroupOptions(hc: Fields, host: Partial<HostConfig>): void {
  const uts = hc.text('UTSMode');
  if (uts !== undefined) {
    if (uts !== 'host') throw bad(`invalid UTS mode: ${uts}`);
    host.utsMode = 'host';
  }
  const cgroupns = hc.text('CgroupnsMode');
  if (cgroupns !== undefined && cgroupns !== 'private') {
    if (cgroupns !== 'host') throw bad(`invalid cgroup namespace mode: ${cgroupns}`);
    host.cgroupnsMode = 'host';
  }
  if (hc.bool('OomKillDisable')) host.oomKillDisable = true;
  const swappiness = hc.int('MemorySwappiness');
  if (swappiness !== undefined) {
    const value = checkMemorySwappiness(swappiness);
    if (value !== undefined) host.memorySwappiness = value;
  }
  const weight = hc.int('BlkioWeight');
  if (weight !== undefined) {
    const value = checkBlkioWeight(weight);
    if (value !== undefined) host.blkioWeight = value;
  }
  const devicePath = (d: Fields) => {
    const path = d.text('Path');
    if (path === undefined) throw bad(`${d.name('Path')} must name a device`);
    return path;
  };
  const count = (d: Fields, key: string) => {
    const n = d.int(key) ?? 0;
    if (n < 0) throw bad(`${d.name(key)} can not be negative`);
    return n;
  };
  const weights = (hc.list('BlkioWeightDevice') ?? []).map((d) => ({ path: devicePath(d), weight: count(d, 'Weight') }));
  for (const [i, w] of weights.entries()) if (w.weight < 10 || w.weight > 1000) throw bad(`HostConfig.BlkioWeightDevice[${i}].Weight: invalid weight for device: ${w.path}:${w.weight}`);
  if (weights.length > 0) host.blkioWeightDevice = weights;
  for (const [field, key] of blkioThrottleFields) {
    const list = (hc.list(field) ?? []).map((d) => ({ path: devicePath(d), rate: count(d, 'Rate') }));
    if (list.length > 0) host[key] = list;
  }
  const rules = hc.strings('DeviceCgroupRules');
  if (rules && rules.length > 0) {
    for (const rule of rules) parseDeviceCgroupRule(rule);
    host.deviceCgroupRules = rules;
  }
  const annotations = hc.map('Annotations');
  if (annotations && Object.keys(annotations).length > 0) host.annotations = annotations;
  const masked = hc.strings('MaskedPaths');
  if (masked) host.maskedPaths = masked;
  const readonly = hc.strings('ReadonlyPaths');
  if (readonly) host.readonlyPaths = readonly;
}

function resources(hc: Fields, host: Partial<HostConfig>): void {
  const positive = (key: string) => {
    const v = hc.int(key);
    if (v !== undefined && v < 0) throw bad(`${hc.name(key)} can not be negative`);
    return v === undefined || v === 0 ? undefined : v;
  };
  const memory = positive('Memory');
  if (memory !== undefined) host.memory = memory;
  const swap = hc.int('MemorySwap');
  if (swap !== undefined && swap !== 0) {
    if (swap > 0 && memory !== undefined && swap < memory) throw bad('Minimum memoryswap limit should be larger than memory limit, see usage');
    if (swap > 0 && memory === undefined) throw bad('You should always set the Memory limit when using Memoryswap limit, see usage');
    host.memorySwap = swap;
  }
  const reservation = positive('MemoryReservation');
  if (reservation !== undefined) host.memoryReservation = reservation;
  const nano = positive('NanoCpus');
  const quota = hc.int('CpuQuota') ?? 0;
  const period = hc.int('CpuPeriod') ?? 0;
  if (nano !== undefined) host.nanoCpus = nano;
  // A quota per period is a number of CPUs: berth's limit is the same cgroup setting (cpu.max).
  const fromQuota = nanoCpusOfQuota(quota, period, { quota: 'HostConfig.CpuQuota', period: 'HostConfig.CpuPeriod' }, nano !== undefined);
  if (fromQuota !== undefined) host.nanoCpus = fromQuota;
  const shares = positive('CpuShares');
  if (shares !== undefined) host.cpuShares = shares;
  const cpus = hc.text('CpusetCpus');
  if (cpus !== undefined) host.cpusetCpus = cpus;
  const mems = hc.text('CpusetMems');
  if (mems !== undefined) host.cpusetMems = mems;
  const pids = hc.int('PidsLimit');
  // 0 and -1 are both "no limit".
  if (pids !== undefined && pids > 0) host.pidsLimit = pids;
  const oom = hc.int('OomScoreAdj');
  if (oom !== undefined && oom !== 0) {
    if (oom < -1000 || oom > 1000) throw bad(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
    host.oomScoreAdj = oom;
  }
  const ulimits = hc.list('Ulimits') ?? [];
  if (ulimits.length > 0) {
    host.ulimits = ulimits.map((u) => {
      const name = u.string('Name') ?? '';
      const soft = u.int('Soft') ?? 0;
      const hard = u.int('Hard') ?? soft;
      return parseUlimit(`${name}=${soft}:${hard}`);
    });
  }
  const devices = hc.list('Devices') ?? [];
  if (devices.length > 0) {
    host.devices = devices.map((d) => {
      const onHost = d.string('PathOnHost') ?? '';
      const inContainer = d.text('PathInContainer') ?? onHost;
      return parseDeviceMapping(`${onHost}:${inContainer}:${d.text('CgroupPermissions') ?? 'rwm'}`);
    });
  }
}

function security(hc: Fields, host: Partial<HostConfig>): void {
  if (hc.bool('Privileged')) host.privileged = true;
  if (hc.bool('ReadonlyRootfs')) host.readonlyRootfs = true;
  const add = hc.strings('CapAdd');
  if (add && add.length > 0) host.capAdd = add;
  const drop = hc.strings('CapDrop');
  if (drop && drop.length > 0) host.capDrop = drop;
  const opts = hc.strings('SecurityOpt');
  if (opts && opts.length > 0) host.securityOpt = opts;
}

/** HostConfig.PortBindings: `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`, through `-p`'s parser. */
function portBindings(hc: Fields): PortBinding[] {
  const map = hc.raw('PortBindings');
  if (map === undefined || map === null) return [];
  if (typeof map !== 'object' || Array.isArray(map)) throw bad('HostConfig.PortBindings must be an object');
  const out: PortBinding[] = [];
  for (const [port, list] of Object.entries(map as Json)) {
    if (list === null) continue;
    if (!Array.isArray(list)) throw bad(`HostConfig.PortBindings["${port}"] must be a list`);
    for (const [i, item] of list.entries()) {
      const b = Fields.of(item, `HostConfig.PortBindings["${port}"][${i}].`);
      let ip = b.string('HostIp') ?? '';
      if (ip.includes(':') && !ip.startsWith('[')) ip = `[${ip}]`;
      const hostPort = b.string('HostPort') ?? '';
      const spec = ip !== '' ? `${ip}:${hostPort}:${port}` : hostPort !== '' ? `${hostPort}:${port}` : port;
      out.push(...parsePublish(spec));
    }
  }
  return out;
}

/** One of HostConfig.Mounts, checked as dockerd checks `--mount`'s (whose parser's results it mirrors). */
function mountSpec(m: Fields): MountSpec {
  const type = m.string('Type') ?? '';
  const source = m.string('Source') ?? '';
  const target = m.string('Target') ?? '';
  const readonly = m.bool('ReadOnly') ?? false;
  const invalid = (message: string) => errors.invalidArgument('INVALID_MOUNT', `invalid mount config for type "${type}": ${message}`);
  if (!target.startsWith('/')) throw invalid(`invalid mount path: '${target}' mount path must be absolute`);
  if (target.replace(/\/+$/, '') === '') throw invalid("invalid specification: destination can't be '/'");
  const bind = m.child('BindOptions');
  const volume = m.child('VolumeOptions');
  const tmpfs = m.child('TmpfsOptions');
  if (type !== 'bind' && !isZero(m.raw('BindOptions'))) throw invalid('field BindOptions must not be specified');
  if (type !== 'volume' && !isZero(m.raw('VolumeOptions'))) throw invalid('field VolumeOptions must not be specified');
  if (type !== 'tmpfs' && !isZero(m.raw('TmpfsOptions'))) throw invalid('field TmpfsOptions must not be specified');
  switch (type) {
    case 'bind': {
      if (source === '') throw invalid('field Source must not be empty');
      if (!source.startsWith('/')) throw invalid(`invalid mount path: '${source}' mount path must be absolute`);
      if (bind.bool('NonRecursive')) throw unsupported(`${bind.name('NonRecursive')}`, 'binds are always recursive');
      bind.refuse('ReadOnlyNonRecursive', 'binds are always recursive');
      bind.refuse('ReadOnlyForceRecursive', 'read-only binds are always recursive');
      const propagation = bind.text('Propagation');
      if (propagation !== undefined && !['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'].includes(propagation)) throw invalid(`invalid propagation mode: ${propagation}`);
      return { type: 'bind', source, target, readonly, ...(propagation ? { propagation } : {}), ...(bind.bool('CreateMountpoint') ? { createHostPath: true } : {}) };
    }
    case 'volume': {
      if (source === '' && readonly) throw invalid('must not set ReadOnly mode when using anonymous volumes');
      const driver = volume.child('DriverConfig');
      const driverName = driver.text('Name');
      if (driverName !== undefined && driverName !== 'local') throw unsupported(driver.name('Name'), `volume driver "${driverName}" is not available: berth has only the local driver`);
      volume.refuse('Subpath', 'volume subpaths are not supported');
      const labels = volume.map('Labels') ?? {};
      const options = driver.map('Options') ?? {};
      return {
        type: 'volume', source, target, readonly,
        ...(source === '' ? { anonymous: true } : {}),
        ...(volume.bool('NoCopy') ? { noCopy: true } : {}),
        ...(Object.keys(labels).length > 0 ? { volumeLabels: labels } : {}),
        ...(Object.keys(options).length > 0 ? { volumeOptions: options } : {}),
      };
    }
    case 'tmpfs': {
      if (source !== '') throw invalid('field Source must not be specified');
      const size = tmpfs.int('SizeBytes');
      const mode = tmpfs.int('Mode');
      tmpfs.refuse('Options', 'give the size and mode in SizeBytes and Mode');
      if (size !== undefined && size < 0) throw invalid('invalid tmpfs size: it can not be negative');
      const opts = ['noexec', `mode=${(mode || 0o1777).toString(8)}`];
      if (size !== undefined && size > 0) opts.push(`size=${size}`);
      if (readonly) opts.push('ro');
      return { type: 'tmpfs', source: 'tmpfs', target, readonly, options: opts };
    }
    default:
      throw invalid('mount type unknown');
  }
}

/**
 * NetworkingConfig.EndpointsConfig: aliases and addresses per network. The key `default` (docker
 * 28 sends it) is HostConfig.NetworkMode's network; a network besides that one is joined too.
 */
function networking(nc: Fields, host: Partial<HostConfig>): void {
  const endpoints = nc.raw('EndpointsConfig');
  if (endpoints === undefined || endpoints === null) return;
  if (typeof endpoints !== 'object' || Array.isArray(endpoints)) throw bad('NetworkingConfig.EndpointsConfig must be an object');
  const mode = host.networkMode ?? 'bridge';
  const configs: { network: string; aliases?: string[]; ipv4Address?: string }[] = [];
  for (const [key, value] of Object.entries(endpoints as Json)) {
    const e = Fields.of(value, `NetworkingConfig.EndpointsConfig["${key}"].`);
    const network = key === 'default' ? mode : key;
    const ipam = e.child('IPAMConfig');
    const ipv4 = ipam.text('IPv4Address');
    ipam.refuse('IPv6Address', 'berth networks are IPv4');
    ipam.refuse('LinkLocalIPs', 'link-local addresses are not supported');
    e.refuse('Links', 'use HostConfig.Links');
    e.refuse('DriverOpts', 'endpoint driver options are not supported');
    const mac = e.text('MacAddress');
    if (mac !== undefined) host.macAddress = mac;
    const aliases = (e.strings('Aliases') ?? []).filter((a) => a !== '');
    const config = { network, ...(aliases.length > 0 ? { aliases } : {}), ...(ipv4 !== undefined ? { ipv4Address: ipv4 } : {}) };
    if (network === mode) configs.unshift(config);
    else configs.push(config);
  }
  const [first, ...more] = configs;
  if (first === undefined) return;
  if (first.network !== mode || more.length > 0) {
    // Several networks: the mode's first, as `--network a --network b` records them.
    const all = first.network === mode ? configs : [{ network: mode }, ...configs];
    host.networks = all;
    return;
  }
  if (first.aliases) host.networkAliases = first.aliases;
  if (first.ipv4Address !== undefined) host.ipv4Address = first.ipv4Address;
}
