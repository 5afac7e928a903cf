/**
 * The docker CLI's --format: Go templates with Docker's added functions (json, split, join, title,
 * lower, upper, pad, truncate), the `table` directive (a header row rendered from the same template
 * with a per-command header per field, columns aligned by tabwriter), `json` (one JSON object per
 * line), and `\t`/`\n` written as escapes. `renderInspectFormat` is `inspect -f`: the raw template,
 * one result per item. Errors are BerthErrors carrying Go's message, which names the position.
 */
import { errors } from '../base/index.js';
import { GoTemplate, TemplateExecError, type ExecOptions, type GoFunction } from './go-template-exec.js';
import { GoFloat, TemplateParseError } from './go-template-parser.js';
import { tabwrite } from './tab-writer.js';

/**
 * Go's encoding/json: as the template function `json` (HTML not escaped), or as `--format json`
 * writes rows (json.Marshal: `<`, `>`, `&` escaped).
 */
export function goJson(value: unknown, escapeHtml = false): string {
  // A bigint (an event's timeNano) is written as the exact JSON number Go writes for an int64.
  const text = (JSON.stringify(value ?? null, (_key, v: unknown) => (v instanceof GoFloat ? v.value : typeof v === 'bigint' ? `\u0000big${v}` : v)) ?? 'null')
    .replace(/"\\u0000big(-?\d+)"/g, '$1');
  return text.replace(escapeHtml ? /[\u2028\u2029<>&]/g : /[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const isAsciiWordChar = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

/** strings.Title: upper-cases the first letter of each word (words end at spaces and ASCII punctuation). */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    const separator = prev.charCodeAt(0) <= 0x7f ? !isAsciiWordChar(prev) : !/[\p{L}\p{Nd}]/u.test(prev) && /\s/u.test(prev);
    out += separator ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}

/** Docker's functions (cli/templates): the Go signatures decide the argument checks. */
export const dockerFunctions: Readonly<Record<string, GoFunction>> = {
  json: { params: ['any'], call: (v) => goJson(v) },
  split: { params: ['string', 'string'], call: (s, sep) => (sep === '' ? [...(s as string)] : (s as string).split(sep as string)) },
  join: { params: ['strings', 'string'], call: (list, sep) => (list as string[]).join(sep as string) },
  title: { params: ['string'], call: (s) => goTitle(s as string) },
  lower: { params: ['string'], call: (s) => (s as string).toLowerCase() },
  upper: { params: ['string'], call: (s) => (s as string).toUpperCase() },
  pad: {
    params: ['string', 'int', 'int'],
    call: (s, prefix, suffix) => {
      if (s === '') return s;
      if ((prefix as number) < 0 || (suffix as number) < 0) throw new Error('strings: negative Repeat count');
      return ' '.repeat(prefix as number) + (s as string) + ' '.repeat(suffix as number);
    },
  },
  truncate: {
    params: ['string', 'int'],
    call: (s, length) => {
      const bytes = Buffer.from(s as string, 'utf8');
      const n = length as number;
      if (bytes.length < n) return s;
      if (n < 0) throw new Error(`runtime error: slice bounds out of range [:${n}]`);
      return bytes.subarray(0, n).toString('utf8');
    },
  },
};

/** The header pass of a table: Docker's functions but pad return their first argument unchanged. */
const headerFunctions: Readonly<Record<string, GoFunction>> = Object.fromEntries(
  Object.entries(dockerFunctions).filter(([name]) => name !== 'pad')
    .map(([name, fn]) => [name, { params: fn.params.map(() => 'any' as const), call: (v: unknown) => v }]),
);

/** A column's header: its text, or for a method such as ps's `{{.Label "x"}}` a function of its arguments. */
export type Header = string | ((...args: string[]) => string);

export interface FormatOptions {
  /** Header per field for `table` (Docker's `{{.ID}}` → `CONTAINER ID`); other fields print upper-cased. */
  headers?: Readonly<Record<string, Header>>;
  /** What a bare `table` means for this command (Docker's default table of the command). */
  defaultTable?: string;
  /** The Go type of an item, for Docker's typed contexts: a missing field is an error naming it. */
  structType?: string;
  /** `error` as `docker inspect` does: a missing key is an error instead of `<no value>`. */
  missingKey?: 'default' | 'error';
}

/** Parses a template, turning Go's parse error into a BerthError. */
export function parseGoTemplate(text: string): GoTemplate {
  try {
    return new GoTemplate(text, dockerFunctions);
  } catch (err) {
    if (err instanceof TemplateParseError) {
      throw errors.invalidArgument('TEMPLATE_PARSE', err.message, { hint: 'Check the --format template\'s {{ }} actions' });
    }
    // The parser recurses on nested parentheses and control structures.
    if (err instanceof RangeError) throw errors.invalidArgument('TEMPLATE_PARSE', 'template: : too deeply nested');
    throw err;
  }
}

function execute(tmpl: GoTemplate, item: unknown, options: ExecOptions): string {
  try {
    return tmpl.execute(item, options);
  } catch (err) {
    if (err instanceof TemplateExecError) throw errors.invalidArgument('TEMPLATE_EXEC', err.message);
    if (err instanceof RangeError) throw errors.invalidArgument('TEMPLATE_EXEC', `template: : ${err.message}`);
    throw err;
  }
}

function execOptions(options: FormatOptions): ExecOptions {
  const exec: ExecOptions = {};
  if (options.missingKey !== undefined) exec.missingKey = options.missingKey;
  if (options.structType !== undefined) exec.structType = options.structType;
  return exec;
}

/** The field names a template reads (`.Names`, `.Label`), for the header row's data. */
function headerData(text: string, headers: Readonly<Record<string, Header>>): Record<string, Header> {
  const data: Record<string, Header> = {};
  for (const [, name] of text.matchAll(/(?:^|[^\p{L}\p{Nd}_$)])\.([\p{L}_][\p{L}\p{Nd}_]*)/gu)) {
    if (name !== undefined) data[name] = headers[name] ?? name.toUpperCase();
  }
  return data;
}

/** A list command's --format (`ps`, `images`, `volume ls`, ...): raw template, `table ...`, or `json`. */
export function renderFormat(format: string, items: readonly unknown[], options: FormatOptions = {}): string {
  // The docker CLI's list contexts marshal as maps (`{{json .}}`, `--format json`): keys sorted.
  const orders = new Map<string, string[]>();
  items = items.map((item) => sortedRow(item, orders));
  const isTable = format.startsWith('table');
  let text = format;
  if (isTable) text = format === 'table' && options.defaultTable !== undefined ? options.defaultTable.replace(/^table/, '') : format.slice('table'.length);
  else if (format === 'json') return items.map((item) => `${goJson(item, true)}\n`).join('');
  text = text.replace(/^ +| +$/g, '').replace(/\\[tn]/g, (e) => (e === '\\t' ? '\t' : '\n'));
  const tmpl = parseGoTemplate(text);
  const exec = execOptions(options);
  const rows = items.map((item) => `${execute(tmpl, item, exec)}\n`).join('');
  if (!isTable) return rows;
  let header: string;
  try {
    header = tmpl.execute(headerData(text, options.headers ?? {}), { functions: headerFunctions });
  } catch (err) {
    // Docker ignores a failing header pass and prints what it had rendered.
    if (!(err instanceof TemplateExecError)) throw err;
    header = err.partial;
  }
  return tabwrite(`${header}\n${rows}`);
}

/**
 * A plain object with its keys in sorted order (methods such as `Label` kept); anything else as it is.
 * The rows of one list share their keys: each set of keys is sorted once (`orders`), not per row
 * (`ps -a` of 500 containers sorted 500 times).
 */
function sortedRow(item: unknown, orders: Map<string, string[]>): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item) || Object.getPrototypeOf(item) !== Object.prototype) return item;
  if (Object.getOwnPropertyNames(item).includes('toJSON')) return item;
  const keys = Object.keys(item);
  const signature = keys.join('\0');
  let order = orders.get(signature);
  if (order === undefined) {
    order = keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    orders.set(signature, order);
  }
  const row = item as Record<string, unknown>;
  return Object.fromEntries(order.map((key) => [key, row[key]]));
}

/** `inspect -f`: the template as written, one line per item. */
export function renderInspectFormat(format: string, items: readonly unknown[], options: FormatOptions = { missingKey: 'error' }): string {
  const tmpl = parseGoTemplate(format);
  const exec = execOptions(options);
  return items.map((item) => `${execute(tmpl, item, exec)}\n`).join('');
}
