/**
 * Docker's container mount flags, parsed as dockerd 20.10 parses them (its Linux mount parser and
 * the CLI's `--mount` CSV reader), with Docker's messages: `-v`/`--volume`, `--mount`, and
 * `--volumes-from`. Pure: whether a host path exists or a volume name is valid is the service's
 * check at create time (services/volume-mounts.ts).
 */
import { errors } from '../../base/index.js';
import type { MountSpec } from '../containers/index.js';
import { parseBytes } from '../spec/index.js';

const propagations = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const consistencies = ['consistent', 'cached', 'delegated', 'default'];

const invalid = (message: string) => errors.invalidArgument('INVALID_MOUNT', message);

interface Mode {
  readonly?: boolean;
  noCopy?: boolean;
  propagation?: string;
}

/** A `-v` mode (`ro`, `rw,nocopy`, `ro,rslave`, `z`); undefined when Docker's validMountMode refuses it. */
function parseMode(mode: string): Mode | undefined {
  if (mode === '') return {};
  const out: Mode = {};
  let label = false;
  let consistency = false;
  for (const part of mode.split(',')) {
    if (part === 'ro' || part === 'rw') {
      if (out.readonly !== undefined) return undefined;
      out.readonly = part === 'ro';
    } else if (part === 'z' || part === 'Z') {
      // SELinux relabelling: berth has no SELinux, so there is nothing to relabel (as on a Docker host without it).
      if (label) return undefined;
      label = true;
    } else if (part === 'nocopy') {
      if (out.noCopy !== undefined) return undefined;
      out.noCopy = true;
    } else if (propagations.includes(part)) {
      if (out.propagation !== undefined) return undefined;
      out.propagation = part;
    } else if (consistencies.includes(part)) {
      // Docker for Mac's consistency hints; Linux ignores them, as dockerd does.
      if (consistency) return undefined;
      consistency = true;
    } else return undefined;
  }
  return out;
}

/** dockerd's validateMountConfig for the target, with its wording. */
function checkTarget(type: string, target: string): void {
  if (!target.startsWith('/')) throw invalid(`invalid mount config for type "${type}": invalid mount path: '${target}' mount path must be absolute`);
  if (target.replace(/\/+$/, '') === '') throw invalid(`invalid mount config for type "${type}": invalid specification: destination can't be '/'`);
}

/**
 * `-v SPEC`: `/ctr` (an anonymous volume), `NAME:/ctr[:MODE]` (a named volume, made on first
 * use), `/host:/ctr[:MODE]` (a bind; a missing host directory is made). MODE: ro|rw, nocopy
 * (volumes), a propagation (binds), z|Z and consistency hints (accepted, nothing to do on Linux).
 * A relative host path is a volume name, refused by the name rule as Docker refuses it.
 */
export function parseVolumeFlag(spec: string): MountSpec {
  const parts = spec.split(':');
  let source = '';
  let target: string;
  let modeText = '';
  if (parts.length === 1) target = spec;
  else if (parts.length === 2) {
    if (parseMode(parts[1] as string) !== undefined) throw invalid(`invalid volume specification: '${spec}'`);
    [source, target] = parts as [string, string];
  } else if (parts.length === 3) [source, target, modeText] = parts as [string, string, string];
  else throw invalid(`invalid volume specification: '${spec}'`);
  const mode = parseMode(modeText);
  if (mode === undefined) throw invalid(`invalid mode: ${modeText}`);
  const type = source.startsWith('/') ? 'bind' : 'volume';
  const wrap = (err: unknown) => invalid(`invalid volume specification: '${spec}': ${(err as Error).message}`);
  try {
    checkTarget(type, target);
    if (type === 'bind' && mode.noCopy) throw invalid(`invalid mount config for type "bind": field VolumeOptions must not be specified`);
    if (type === 'volume' && mode.propagation !== undefined) throw invalid(`invalid mount config for type "volume": field BindOptions must not be specified`);
  } catch (err) {
    throw wrap(err);
  }
  const readonly = mode.readonly ?? false;
  if (type === 'bind') {
    return { type, source, target, readonly, createHostPath: true, ...(mode.propagation ? { propagation: mode.propagation } : {}) };
  }
  return { type, source, target, readonly, ...(source === '' ? { anonymous: true } : {}), ...(mode.noCopy ? { noCopy: true } : {}) };
}

/** Go's encoding/csv for one line: fields split at commas, a field may be "quoted" ("" is a quote). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) throw invalid(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw invalid(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
      fields.push(value);
      i++;
    } else {
      const end = line.indexOf(',', i);
      fields.push(line.slice(i, end < 0 ? line.length : end));
      if (end < 0) break;
      i = end + 1;
    }
  }
  return fields;
}

const boolValue = (key: string, value: string | undefined): boolean => {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (['1', 't', 'true'].includes(v)) return true;
  if (['0', 'f', 'false'].includes(v)) return false;
  throw invalid(`invalid value for ${key}: ${value}`);
};

/**
 * `--mount type=bind|volume|tmpfs,source=,target=,...` as the docker CLI reads it (type defaults
 * to volume) and dockerd then checks it. Keys: type, source|src, target|destination|dst,
 * readonly|ro[=bool], bind-propagation, bind-nonrecursive, volume-nocopy[=bool], volume-label,
 * volume-driver (local only), volume-opt, tmpfs-size, tmpfs-mode, consistency.
 */
export function parseMountFlag(spec: string): MountSpec {
  const cli = (message: string) => invalid(`invalid argument "${spec}" for "--mount" flag: ${message}`);
  let type = 'volume';
  let source = '';
  let target = '';
  let readonly = false;
  let propagation: string | undefined;
  let noCopy = false;
  let tmpfsSize: number | undefined;
  let tmpfsMode: number | undefined;
  const labels: Record<string, string> = {};
  const volumeOptions: Record<string, string> = {};
  const used = { bind: false, volume: false, tmpfs: false };
  let fields: string[];
  try {
    fields = csvFields(spec);
  } catch (err) {
    throw cli((err as Error).message);
  }
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    if (value === undefined && !['readonly', 'ro', 'volume-nocopy', 'bind-nonrecursive'].includes(key)) {
      throw cli(`invalid field '${field}' must be a key=value pair`);
    }
    const v = value ?? '';
    switch (key) {
      case 'type': type = v.toLowerCase(); break;
      case 'source': case 'src': source = v; break;
      case 'target': case 'dst': case 'destination': target = v; break;
      case 'readonly': case 'ro': readonly = boolValue(key, value); break;
      case 'consistency': break; // Docker for Mac only; dockerd on Linux ignores it too
      case 'bind-propagation': used.bind = true; propagation = v.toLowerCase(); break;
      case 'bind-nonrecursive':
        used.bind = true;
        if (boolValue(key, value)) throw cli('bind-nonrecursive is not supported by berth (binds are always recursive)');
        break;
      case 'volume-nocopy': used.volume = true; noCopy = boolValue(key, value); break;
      case 'volume-label': {
        used.volume = true;
        const [k = '', l = ''] = v.split(/=(.*)/s);
        labels[k] = l;
        break;
      }
      case 'volume-driver':
        used.volume = true;
        if (v !== 'local') throw cli(`volume driver "${v}" is not available: berth has only the local driver`);
        break;
      case 'volume-opt': {
        used.volume = true;
        const kv = v.split(/=(.*)/s);
        if (kv.length < 2) throw cli(`invalid value for ${key}: ${v}`);
        volumeOptions[kv[0] as string] = kv[1] as string;
        break;
      }
      case 'tmpfs-size':
        used.tmpfs = true;
        try {
          tmpfsSize = parseBytes(v);
        } catch {
          throw cli(`invalid value for ${key}: ${v}`);
        }
        break;
      case 'tmpfs-mode':
        used.tmpfs = true;
        if (!/^[0-7]{1,11}$/.test(v) || Number.parseInt(v, 8) > 0xffffffff) throw cli(`invalid value for ${key}: ${v}`);
        tmpfsMode = Number.parseInt(v, 8);
        break;
      default:
        throw cli(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (target === '') throw cli('target is required');
  for (const kind of ['volume', 'bind', 'tmpfs'] as const) {
    if (used[kind] && type !== kind) throw cli(`cannot mix '${kind}-*' options with mount type '${type}'`);
  }
  const daemon = (message: string) => invalid(`invalid mount config for type "${type}": ${message}`);
  if (!['bind', 'volume', 'tmpfs'].includes(type)) throw daemon('mount type unknown');
  checkTarget(type, target);
  if (type === 'bind') {
    if (source === '') throw daemon('field Source must not be empty');
    if (!source.startsWith('/')) throw daemon(`invalid mount path: '${source}' mount path must be absolute`);
    if (propagation !== undefined && !propagations.includes(propagation)) throw daemon(`invalid propagation mode: ${propagation}`);
    return { type, source, target, readonly, ...(propagation ? { propagation } : {}) };
  }
  if (type === 'volume') {
    if (source === '' && readonly) throw daemon('must not set ReadOnly mode when using anonymous volumes');
    return {
      type, source, target, readonly,
      ...(source === '' ? { anonymous: true } : {}),
      ...(noCopy ? { noCopy: true } : {}),
      ...(Object.keys(labels).length > 0 ? { volumeLabels: labels } : {}),
      ...(Object.keys(volumeOptions).length > 0 ? { volumeOptions } : {}),
    };
  }
  if (source !== '') throw daemon('field Source must not be specified');
  const options = ['noexec', `mode=${(tmpfsMode ?? 0o1777).toString(8)}`];
  if (tmpfsSize !== undefined && tmpfsSize > 0) options.push(`size=${tmpfsSize}`);
  if (readonly) options.push('ro');
  return { type: 'tmpfs', source: 'tmpfs', target, readonly, options };
}

/** `--volumes-from CONTAINER[:ro|rw]`: the container and the mode that replaces its mounts' own. */
export function parseVolumesFrom(spec: string): { container: string; readonly?: boolean } {
  const [container = '', mode, ...rest] = spec.split(':');
  if (container === '' || rest.length > 0) throw invalid(`invalid volumes-from specification: '${spec}'`);
  if (mode === undefined) return { container };
  const parsed = parseMode(mode);
  if (parsed === undefined || parsed.readonly === undefined || parsed.noCopy || parsed.propagation) throw invalid(`invalid mode: ${mode}`);
  return { container, readonly: parsed.readonly };
}

/** A mount target as a path key: no trailing slashes, no `.` or doubled slashes. */
export function cleanTarget(target: string): string {
  const parts: string[] = [];
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}
