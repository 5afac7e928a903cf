import { errors } from '../../base/index.js';
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall, SeccompAction, SeccompArch, SeccompOperator } from '../../oci/index.js';

/*
 * Docker's seccomp profile format (`--security-opt seccomp=profile.json`, the format of moby's
 * default.json) and its translation into the OCI `linux.seccomp` section for one host: the
 * profile's `archMap` entry for the host architecture gives the architectures; syscall rules with
 * `includes`/`excludes` apply only for the listed architectures (Go names: amd64, arm64),
 * capabilities (all must be held) and minimum kernel.
 */

const actions: readonly SeccompAction[] = [
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
];
const operators: readonly SeccompOperator[] = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

/** The host as a seccomp profile sees it. */
export interface SeccompHost {
  /** Go's name of the architecture (`amd64`, `arm64`), as profiles' includes/excludes use. */
  goArch: string;
  /** The libseccomp name of the native architecture (`SCMP_ARCH_X86_64`). */
  nativeArch: SeccompArch;
  /** `uname -r`; without it, `minKernel` conditions are taken as met. */
  kernel?: string | undefined;
  /** The container's capabilities (`CAP_*`). */
  capabilities: readonly string[];
}

/** The SeccompHost of an architecture (Node's names), for a container holding `capabilities`. */
export function seccompHost(arch: 'x64' | 'arm64', capabilities: readonly string[], kernel?: string): SeccompHost {
  const arm = arch === 'arm64';
  return { goArch: arm ? 'arm64' : 'amd64', nativeArch: arm ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64', kernel, capabilities };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function fail(what: string): never {
  throw errors.invalidArgument('INVALID_SECCOMP_PROFILE', `Invalid seccomp profile: ${what}`);
}

function strings(obj: Json, key: string, where: string): string[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!isStrings(v)) fail(`${where}"${key}" must be a list of strings`);
  return v;
}

function action(v: unknown, where: string): SeccompAction {
  if (!actions.includes(v as SeccompAction)) fail(`${where}action ${JSON.stringify(v)} is not one of ${actions.join(', ')}`);
  return v as SeccompAction;
}

function errno(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < 0) fail(`${where}errnoRet must be a non-negative integer`);
  return v as number;
}

function arg(v: unknown, where: string): LinuxSeccompArg {
  if (!isObject(v)) fail(`${where}each of "args" must be an object`);
  const { index, value, valueTwo, op } = v;
  if (!Number.isInteger(index) || (index as number) < 0 || (index as number) > 5) fail(`${where}argument index must be 0 to 5`);
  if (!Number.isInteger(value ?? 0) || !Number.isInteger(valueTwo ?? 0)) fail(`${where}argument values must be integers`);
  if (!operators.includes(op as SeccompOperator)) fail(`${where}operator ${JSON.stringify(op)} is not one of ${operators.join(', ')}`);
  return { index: index as number, value: (value as number | undefined) ?? 0, ...(valueTwo ? { valueTwo: valueTwo as number } : {}), op: op as SeccompOperator };
}

/** `6.1.0-18-amd64` ≥ `4.8`? Compares major.minor (what profiles' minKernel give); no kernel known: yes. */
function kernelAtLeast(kernel: string | undefined, min: string): boolean {
  const parse = (s: string) => (/^(\d+)\.(\d+)/.exec(s) ?? []).slice(1, 3).map(Number);
  const want = parse(min);
  if (want.length < 2) fail(`minKernel "${min}" is not a kernel version like 4.8`);
  if (kernel === undefined) return true;
  const [a = 0, b = 0] = parse(kernel);
  const [c = 0, d = 0] = want;
  return a > c || (a === c && b >= d);
}

/** Whether a rule's includes/excludes select it on this host (each field is checked first). */
function applies(rule: Json, host: SeccompHost, where: string): boolean {
  const held = new Set(host.capabilities);
  const excludes = rule['excludes'] ?? {};
  const includes = rule['includes'] ?? {};
  if (!isObject(excludes) || !isObject(includes)) fail(`${where}"includes" and "excludes" must be objects`);
  const notArches = strings(excludes, 'arches', where);
  const notCaps = strings(excludes, 'caps', where);
  const arches = strings(includes, 'arches', where);
  const caps = strings(includes, 'caps', where);
  const min = includes['minKernel'] ?? '';
  if (typeof min !== 'string') fail(`${where}minKernel must be a string`);
  const kernelOk = min === '' || kernelAtLeast(host.kernel, min);
  if (notArches.includes(host.goArch) || notCaps.some((c) => held.has(c))) return false;
  if (arches.length > 0 && !arches.includes(host.goArch)) return false;
  return caps.every((c) => held.has(c)) && kernelOk;
}

/**
 * The OCI seccomp section for a Docker profile (already parsed JSON) on `host`. Throws
 * invalidArgument `BERTH_E_INVALID_SECCOMP_PROFILE` naming what is wrong; the runtime checks
 * syscall names (an unknown one is skipped by crun and runc).
 */
export function seccompFromDockerProfile(profile: unknown, host: SeccompHost): LinuxSeccomp {
  if (!isObject(profile)) fail('the profile must be a JSON object');
  const out: LinuxSeccomp = { defaultAction: action(profile['defaultAction'], 'defaultAction: ') };
  const defaultErrno = errno(profile['defaultErrnoRet'], '');
  if (defaultErrno !== undefined) out.defaultErrnoRet = defaultErrno;
  const architectures = strings(profile, 'architectures', '');
  const archMap = profile['archMap'];
  if (architectures.length > 0 && Array.isArray(archMap) && archMap.length > 0) fail('both "architectures" and "archMap" are given; use one');
  if (archMap !== undefined && archMap !== null) {
    if (!Array.isArray(archMap)) fail('"archMap" must be a list');
    for (const entry of archMap) {
      if (!isObject(entry) || typeof entry['architecture'] !== 'string') fail('each of "archMap" needs an "architecture"');
      if (entry['architecture'] === host.nativeArch) out.architectures = [host.nativeArch, ...(strings(entry, 'subArchitectures', 'archMap: ') as SeccompArch[])];
    }
  } else if (architectures.length > 0) out.architectures = architectures as SeccompArch[];
  const flags = strings(profile, 'flags', '');
  if (flags.length > 0) out.flags = flags;
  const rules = profile['syscalls'] ?? [];
  if (!Array.isArray(rules)) fail('"syscalls" must be a list');
  const syscalls: LinuxSyscall[] = [];
  rules.forEach((rule: unknown, i: number) => {
    const where = `syscalls[${i}]: `;
    if (!isObject(rule)) fail(`${where}must be an object`);
    const names = strings(rule, 'names', where);
    const name = rule['name'];
    if (name !== undefined && name !== null && name !== '') {
      if (names.length > 0) fail(`${where}both "name" and "names" are given; use one`);
      if (typeof name !== 'string') fail(`${where}"name" must be a string`);
      names.push(name);
    }
    if (names.length === 0) fail(`${where}no syscall names`);
    const act = action(rule['action'], where);
    const ret = errno(rule['errnoRet'], where);
    const args = rule['args'] ?? [];
    if (!Array.isArray(args)) fail(`${where}"args" must be a list`);
    const converted = args.map((a: unknown) => arg(a, where));
    if (!applies(rule, host, where)) return;
    syscalls.push({ names, action: act, ...(ret !== undefined ? { errnoRet: ret } : {}), ...(converted.length > 0 ? { args: converted } : {}) });
  });
  out.syscalls = syscalls;
  return out;
}
