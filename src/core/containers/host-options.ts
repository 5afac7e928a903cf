/**
 * Parsers and rules of the container options Docker users type (`--restart`, `--device`,
 * `--sysctl`, `--ipc`, `--pid`, `--stop-signal`, `--cpuset-cpus`), with Docker's messages. Pure:
 * the engine checks the host-dependent parts (devices, CPUs, other containers) itself.
 */
import { constants } from 'node:os';

import { errors } from '../../base/index.js';
import type { NetworkMode } from '../network/index.js';
import type { DeviceMapping, RestartPolicy, RestartPolicyName } from './container.js';

const restartPolicyNames: readonly RestartPolicyName[] = ['no', 'on-failure', 'always', 'unless-stopped'];

/** `no`, `always`, `unless-stopped`, `on-failure[:N]` (Docker's `--restart`); `` is `no`. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name = '', count, ...rest] = text.split(':');
  if (name === '' && count === undefined) return { name: 'no', maximumRetryCount: 0 };
  if (rest.length > 0) throw errors.invalidArgument('INVALID_RESTART_POLICY', `invalid restart policy format: "${text}"`);
  if (!(restartPolicyNames as readonly string[]).includes(name)) throw errors.invalidArgument('INVALID_RESTART_POLICY', `invalid restart policy '${name}'`);
  if (count === undefined) return { name: name as RestartPolicyName, maximumRetryCount: 0 };
  if (!/^-?\d+$/.test(count)) throw errors.invalidArgument('INVALID_RESTART_POLICY', 'invalid restart policy format: maximum retry count must be an integer');
  const n = Number(count);
  if (name !== 'on-failure') throw errors.invalidArgument('INVALID_RESTART_POLICY', `maximum retry count cannot be used with restart policy '${name}'`);
  if (n < 0) throw errors.invalidArgument('INVALID_RESTART_POLICY', 'maximum retry count cannot be negative');
  return { name: 'on-failure', maximumRetryCount: n };
}

/** Docker's text of a policy: `no`, `always`, `on-failure:3`. */
export function restartPolicyText(policy: RestartPolicy): string {
  return policy.name === 'on-failure' && policy.maximumRetryCount > 0 ? `on-failure:${policy.maximumRetryCount}` : policy.name;
}

const deviceMode = /^[rwm]{1,3}$/;
const validDeviceMode = (mode: string) => deviceMode.test(mode) && new Set(mode).size === mode.length;

/** `--device HOST[:CONTAINER][:PERMS]`, as docker's CLI parses it (PERMS some of `rwm`, default all). */
export function parseDeviceMapping(spec: string): DeviceMapping {
  const parts = spec.split(':');
  if (parts.length > 3 || parts[0] === '') throw errors.invalidArgument('INVALID_DEVICE', `invalid device specification: ${spec}`);
  const [src = '', second, third] = parts;
  let dst = '';
  let perms = 'rwm';
  if (third !== undefined) {
    perms = third;
    dst = second ?? '';
  } else if (second !== undefined) {
    if (validDeviceMode(second)) perms = second;
    else dst = second;
  }
  if (!validDeviceMode(perms)) throw errors.invalidArgument('INVALID_DEVICE', `bad mode specified: ${perms}`);
  if (dst === '') dst = src;
  for (const path of [src, dst]) if (!path.startsWith('/')) throw errors.invalidArgument('INVALID_DEVICE', `${path} is not an absolute path`);
  return { pathOnHost: src, pathInContainer: dst, cgroupPermissions: perms };
}

/** The IPC sysctls a container's own IPC namespace isolates (runc's and Docker's list). */
const ipcSysctls = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** Whether a sysctl belongs to a namespace a container may own: IPC (kernel.msg*, sem, shm*, fs.mqueue.*) or network (net.*). */
export function sysctlNamespace(name: string): 'ipc' | 'network' | undefined {
  if (ipcSysctls.has(name) || name.startsWith('fs.mqueue.')) return 'ipc';
  if (name.startsWith('net.')) return 'network';
  return undefined;
}

/** `--sysctl NAME=VALUE`; only namespaced sysctls are allowed (Docker's message otherwise). */
export function parseSysctl(text: string): [string, string] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || sysctlNamespace(name) === undefined) throw errors.invalidArgument('INVALID_SYSCTL', `sysctl '${text}' is not allowed`);
  return [name, text.slice(eq + 1)];
}

/**
 * Refuses sysctls of a namespace the container shares with the host (runc's messages): net.*
 * on the host network, the IPC ones with `--ipc host`. A sysctl outside both namespaces is refused too.
 */
export function checkSysctls(sysctls: Record<string, string>, modes: { network: NetworkMode; ipc: string }): void {
  for (const name of Object.keys(sysctls)) {
    const ns = sysctlNamespace(name);
    if (ns === undefined) throw errors.invalidArgument('INVALID_SYSCTL', `sysctl '${name}' is not allowed`);
    if (ns === 'network' && modes.network === 'host') throw errors.invalidArgument('INVALID_SYSCTL', `sysctl "${name}" not allowed in host network namespace`);
    if (ns === 'ipc' && modes.ipc === 'host') throw errors.invalidArgument('INVALID_SYSCTL', `sysctl "${name}" is not allowed in the hosts ipc namespace`);
  }
}

/** `--ipc`: `private` (also ``), `shareable`, `host`, `none` or `container:NAME`; returns it as recorded. */
export function parseIpcMode(text: string): string {
  if (text === '') return 'private';
  if (['private', 'shareable', 'host', 'none'].includes(text)) return text;
  if (/^container:./.test(text)) return text;
  throw errors.invalidArgument('INVALID_IPC_MODE', `Invalid IPC mode: ${text}`);
}

/** `--pid`: `` (a namespace of its own), `host` or `container:NAME`. */
export function parsePidMode(text: string): string {
  if (text === '' || text === 'host' || /^container:./.test(text)) return text;
  throw errors.invalidArgument('INVALID_PID_MODE', `--pid: invalid PID mode "${text}": use host or container:NAME`);
}

/** The container a `container:NAME` mode names, if it is one. */
export function joinedContainer(mode: string | undefined): string | undefined {
  return mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

const signalNumbers = constants.signals as Record<string, number | undefined>;
const SIGRTMIN = 34;
const SIGRTMAX = 64;

/**
 * The number of a signal as Docker accepts it (`SIGTERM`, `TERM`, `15`, `SIGRTMIN+3`);
 * invalidArgument `BERTH_E_INVALID_SIGNAL` ("Invalid signal: FOO") otherwise.
 */
export function signalNumber(text: string): number {
  const invalid = () => errors.invalidArgument('INVALID_SIGNAL', `Invalid signal: ${text}`);
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < 1 || n > SIGRTMAX) throw invalid();
    return n;
  }
  const name = text.toUpperCase().replace(/^SIG/, '');
  const rt = /^RTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (rt) {
    const n = (rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX) + Number(rt[2] ?? 0);
    if (n < SIGRTMIN || n > SIGRTMAX) throw invalid();
    return n;
  }
  const n = signalNumbers[`SIG${name}`];
  if (n === undefined || name === '') throw invalid();
  return n;
}

/**
 * The CPUs or memory nodes of a cpuset list (`0-3,5`); invalidArgument with Docker's message
 * (`Invalid value abc for cpuset cpus: invalid format: abc`) for a malformed one.
 */
export function parseCpuset(text: string, what: 'cpus' | 'mems'): number[] {
  const invalid = () => errors.invalidArgument('INVALID_CPUSET', `Invalid value ${text} for cpuset ${what}: invalid format: ${text}`);
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw invalid();
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to - from > 65536) throw invalid();
    for (let i = from; i <= to; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}
