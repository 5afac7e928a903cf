/** `RUN --mount=...` values, read with BuildKit's rules (CSV fields, key=value, defaults). */
import { DockerfileErrorCode as Code, problem } from './parse-error.js';
import { suggest } from './text.js';
import { parseRamInBytes } from './units.js';
import type { CacheSharing, MountType, RunMount } from './types.js';

const mountTypes: readonly MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const sharingModes: readonly CacheSharing[] = ['shared', 'private', 'locked'];
const allKeys = ['type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode',
  'uid', 'gid', 'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env'];

/** One CSV record as Go's encoding/csv reads it (quoted fields, `""` inside quotes). */
export function parseCsvFields(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw problem(Code.mount, `Failed to parse csv mounts: extraneous or missing " in quoted-field in "${text}"`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++] as string;
      }
      if (i < text.length && text[i] !== ',') {
        throw problem(Code.mount, `Failed to parse csv mounts: extraneous or missing " in quoted-field in "${text}"`);
      }
    } else {
      const end = text.indexOf(',', i);
      field = text.slice(i, end < 0 ? text.length : end);
      if (field.includes('"')) throw problem(Code.mount, `Failed to parse csv mounts: bare " in non-quoted-field in "${text}"`);
      i = end < 0 ? text.length : end;
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}

export interface ParseMountOptions {
  /** Expands variables in a value (the builder passes ARG/ENV expansion). Without it, values are
   * kept as written and typed fields holding `$` are left unset for a later, expanded parse. */
  expand?: (value: string) => string;
}

function parseUint(value: string, radix: 8 | 10, what: string): number {
  const ok = radix === 8 ? /^(0o)?[0-7]+$/i.test(value) : /^[0-9]+$/.test(value);
  const n = ok ? Number.parseInt(value.replace(/^0o/i, ''), radix) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw problem(Code.mount, `Invalid value "${value}" for ${what}`);
  return n;
}

function parseBool(key: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw problem(Code.mount, `Invalid value for ${key}: "${value}"`);
}

const wrongKey = (key: string, type: string) => problem(Code.mount, `Unexpected key "${key}" for mount type "${type}"`);

interface MountState { m: RunMount; roAuto: boolean }

function applyFlagOnly(st: MountState, key: string, field: string): void {
  if (key === 'readonly' || key === 'ro') st.m.readOnly = true;
  else if (key === 'readwrite' || key === 'rw') st.m.readOnly = false;
  else if (key === 'required') {
    if (st.m.type !== 'secret' && st.m.type !== 'ssh') throw wrongKey(key, st.m.type);
    st.m.required = true;
    return;
  } else throw problem(Code.mount, `Invalid field "${field}" must be a key=value pair`);
  st.roAuto = false;
}

function applyField(st: MountState, key: string, value: string, field: string): void {
  const m = st.m;
  switch (key) {
    case 'type': {
      const t = value.toLowerCase() as MountType;
      if (!mountTypes.includes(t)) {
        const close = suggest(value, mountTypes, true);
        throw problem(Code.mount, `Unsupported mount type "${value}"`, close && `did you mean ${close}?`);
      }
      m.type = t;
      return;
    }
    case 'from': m.from = value; return;
    case 'source': case 'src': m.source = value; return;
    case 'target': case 'dst': case 'destination': m.target = value; return;
    case 'readonly': case 'ro': m.readOnly = parseBool(key, value); st.roAuto = false; return;
    case 'readwrite': case 'rw': m.readOnly = !parseBool(key, value); st.roAuto = false; return;
    case 'required':
      if (m.type !== 'secret' && m.type !== 'ssh') throw wrongKey(key, m.type);
      m.required = parseBool(key, value);
      return;
    case 'size': {
      if (m.type !== 'tmpfs') throw wrongKey(key, m.type);
      const size = parseRamInBytes(value);
      if (size === undefined) throw problem(Code.mount, `Invalid value for size: "${value}"`);
      m.sizeLimit = size;
      return;
    }
    case 'id': m.id = value; return;
    case 'sharing': {
      const s = value.toLowerCase() as CacheSharing;
      if (!sharingModes.includes(s)) {
        const close = suggest(value, sharingModes, true);
        throw problem(Code.mount, `Unsupported sharing value "${value}"`, close && `did you mean ${close}?`);
      }
      m.sharing = s;
      return;
    }
    case 'mode': m.mode = parseUint(value, 8, 'mode'); return;
    case 'uid': m.uid = parseUint(value, 10, 'uid'); return;
    case 'gid': m.gid = parseUint(value, 10, 'gid'); return;
    case 'env': m.env = value; return;
    default: {
      const close = suggest(key, allKeys, true);
      throw problem(Code.mount, `Unexpected key "${key}" in "${field}"`, close && `did you mean ${close}?`);
    }
  }
}

function validate(m: RunMount): void {
  if (m.type !== 'secret' && m.type !== 'ssh' && m.type !== 'cache') {
    for (const k of ['mode', 'uid', 'gid'] as const) {
      if (m[k] !== undefined) throw problem(Code.mount, `${k} not allowed for "${m.type}" type mounts`);
    }
  }
  if (m.type === 'secret') {
    if (m.from !== undefined) throw problem(Code.mount, 'Secret mount should not have a from');
    if (m.sharing !== undefined) throw problem(Code.mount, 'Secret mount should not define sharing');
    if (m.source === undefined && m.target === undefined && m.id === undefined) {
      throw problem(Code.mount, 'Invalid secret mount: one of source, target required');
    }
    if (m.source !== undefined && m.id !== undefined) throw problem(Code.mount, "Secret mount: both source and id can't be set");
  }
  if (m.sharing !== undefined && m.type !== 'cache') throw problem(Code.mount, `Invalid cache sharing set for ${m.type} mount`);
}

/** Reads one `--mount` value into a RunMount. Throws DOCKERFILE_MOUNT when it is invalid. */
export function parseRunMount(raw: string, options: ParseMountOptions = {}): RunMount {
  const st: MountState = { m: { type: 'bind', raw, readOnly: false, required: false }, roAuto: true };
  for (const field of parseCsvFields(raw)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      applyFlagOnly(st, key, field);
      continue;
    }
    let value = field.slice(eq + 1);
    if (options.expand) value = options.expand(value);
    else if (key === 'from') {
      const idx = value.indexOf('$');
      if (idx !== -1 && idx !== value.length - 1) {
        throw problem(Code.mount, `"${key}" doesn't support variable expansion, define alias stage instead`);
      }
    } else if (value.includes('$') && key !== 'type') {
      // Validated once expanded; keep the field's text for the string-valued keys.
      if (['source', 'src', 'target', 'dst', 'destination', 'id', 'env'].includes(key)) applyField(st, key, value, field);
      continue;
    }
    applyField(st, key, value, field);
  }
  validate(st.m);
  if (st.roAuto) st.m.readOnly = !(st.m.type === 'cache' || st.m.type === 'tmpfs');
  return st.m;
}
