/**
 * Go's fmt, as templates print values: `%v` of JSON-shaped data (`[a b]`, `map[a:1 b:2]` with
 * sorted keys, `<nil>`, floats in %g), Sprint/Sprintln spacing, and Sprintf with Go's verbs, flags,
 * width and precision, including its in-band errors (`%!d(string=x)`, `%!d(MISSING)`).
 */
import { GoFloat } from './go-template-parser.js';

export type GoKind = 'invalid' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'func';

export function goKind(v: unknown): GoKind {
  if (v === undefined || v === null) return 'invalid';
  if (v instanceof GoFloat) return 'float';
  switch (typeof v) {
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint': return 'int';
    case 'string': return 'string';
    case 'function': return 'func';
    default: return Array.isArray(v) ? 'slice' : 'map';
  }
}

/** The Go type name Docker users see in messages for a value decoded from JSON. */
export function goTypeName(v: unknown): string {
  switch (goKind(v)) {
    case 'invalid': return '<nil>';
    case 'bool': return 'bool';
    case 'int': return 'int';
    case 'float': return 'float64';
    case 'string': return 'string';
    case 'slice': return (v as unknown[]).length > 0 && (v as unknown[]).every((e) => typeof e === 'string') ? '[]string' : '[]interface {}';
    case 'map': return isStringMap(v as Record<string, unknown>) ? 'map[string]string' : 'map[string]interface {}';
    case 'func': return 'func';
  }
}

/**
 * Whether an object is what Docker's Go types hold as map[string]string (labels, options): only
 * string values. Docker's structs always have non-string fields, so this tells them apart.
 */
export function isStringMap(obj: Record<string, unknown>): boolean {
  return Object.values(obj).every((v) => typeof v === 'string');
}

export function numberValue(v: unknown): number {
  if (v instanceof GoFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  return v as number;
}

/** strconv.FormatFloat(x, 'g', -1, 64), as Go's %v prints a float64: shortest digits, exponent form below 1e-4 and from 1e6. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa = '', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -4 && exp < 6) return String(x);
  return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** fmt's %v. */
export function formatValue(v: unknown): string {
  switch (goKind(v)) {
    case 'invalid': return '<nil>';
    case 'bool': return v ? 'true' : 'false';
    case 'int': return String(v);
    case 'float': return formatFloat(numberValue(v));
    case 'string': return v as string;
    case 'slice': return `[${(v as unknown[]).map(formatValue).join(' ')}]`;
    case 'map': {
      const obj = v as Record<string, unknown>;
      return `map[${Object.keys(obj).filter((k) => typeof obj[k] !== 'function').sort().map((k) => `${k}:${formatValue(obj[k])}`).join(' ')}]`;
    }
    case 'func': return '<func>';
  }
}

/** fmt.Sprint: a space between operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

export function sprintln(args: unknown[]): string {
  return `${args.map(formatValue).join(' ')}\n`;
}

/** strconv.Quote, close enough for the printable text templates handle. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface Spec { minus: boolean; plus: boolean; zero: boolean; space: boolean; sharp: boolean; width?: number; prec?: number }

function pad(s: string, spec: Spec, numeric: boolean): string {
  const width = spec.width ?? 0;
  const len = [...s].length;
  if (len >= width) return s;
  if (spec.minus) return s + ' '.repeat(width - len);
  if (spec.zero) {
    const sign = numeric && /^[+\- ]/.test(s) ? (s[0] ?? '') : '';
    return sign + '0'.repeat(width - len) + s.slice(sign.length);
  }
  return ' '.repeat(width - len) + s;
}

/** A rune as Go prints one: invalid code points become U+FFFD. */
function rune(n: number): string {
  return n >= 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff) ? String.fromCodePoint(n) : '\uFFFD';
}

function noWidth(spec: Spec): Spec {
  const { width: _width, ...rest } = spec;
  return rest;
}

function badVerb(verb: string, v: unknown): string {
  return goKind(v) === 'invalid' ? `%!${verb}(<nil>)` : `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function signed(n: number | bigint, digits: string, spec: Spec): string {
  const neg = typeof n === 'bigint' ? n < 0n : n < 0;
  let body = digits;
  if (spec.prec !== undefined) body = body.padStart(spec.prec, '0');
  return (neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '') + body;
}

function formatFloatVerb(x: number, verb: string, spec: Spec): string {
  let s: string;
  switch (verb) {
    case 'f': case 'F': s = Math.abs(x).toFixed(spec.prec ?? 6); break;
    case 'e': case 'E': {
      const [m = '', e = '0'] = Math.abs(x).toExponential(spec.prec ?? 6).split('e');
      const n = Number(e);
      s = `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
      if (verb === 'E') s = s.toUpperCase();
      break;
    }
    default: {
      if (spec.prec === undefined) s = formatFloat(Math.abs(x));
      else {
        const p = spec.prec === 0 ? 1 : spec.prec;
        const [m = '', e = '0'] = Math.abs(x).toExponential(p - 1).split('e');
        const n = Number(e);
        const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
        s = n < -4 || n >= p ? `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}` : String(Number(Math.abs(x).toPrecision(p)));
      }
      if (verb === 'G') s = s.toUpperCase();
    }
  }
  return (x < 0 || Object.is(x, -0) ? '-' : spec.plus ? '+' : spec.space ? ' ' : '') + s;
}

function formatOne(verb: string, v: unknown, spec: Spec): string {
  const kind = goKind(v);
  if (kind === 'slice' && verb !== 'T' && verb !== 'v' && verb !== 's' && verb !== 'q' && verb !== 'x' && verb !== 'X') {
    return `[${(v as unknown[]).map((e) => formatOne(verb, e, noWidth(spec))).join(' ')}]`;
  }
  switch (verb) {
    case 'T': return pad(goTypeName(v) === '<nil>' ? '<nil>' : goTypeName(v), spec, false);
    case 'v':
      if (kind === 'float') return pad(spec.prec === undefined && !spec.plus ? formatFloat(numberValue(v)) : formatFloatVerb(numberValue(v), 'g', spec), spec, true);
      if (kind === 'int') return pad(signed(v as number, Math.abs(v as number).toString(), spec), spec, true);
      if (kind === 'slice') return pad(`[${(v as unknown[]).map((e) => formatOne('v', e, noWidth(spec))).join(' ')}]`, spec, false);
      return pad(formatValue(v), spec, false);
    case 's':
      if (kind === 'string') {
        const s = v as string;
        return pad(spec.prec === undefined ? s : [...s].slice(0, spec.prec).join(''), spec, false);
      }
      if (kind === 'slice') return pad(`[${(v as unknown[]).map((e) => formatOne('s', e, noWidth(spec))).join(' ')}]`, spec, false);
      if (kind === 'map') return pad(formatValue(v), spec, false);
      return badVerb(verb, v);
    case 'q':
      if (kind === 'string') return pad(spec.sharp && !(v as string).includes('`') ? `\`${v as string}\`` : goQuote(v as string), spec, false);
      if (kind === 'int') return pad(`'${rune(v as number).replace(/'/g, "\\'")}'`, spec, false);
      if (kind === 'slice') return pad(`[${(v as unknown[]).map((e) => formatOne('q', e, noWidth(spec))).join(' ')}]`, spec, false);
      return badVerb(verb, v);
    case 'd': case 'b': case 'o': case 'O': case 'c': case 'U':
      if (kind !== 'int') return badVerb(verb, v);
      {
        const n = v as number;
        const abs = Math.abs(n);
        if (verb === 'c') return pad(rune(n), spec, false);
        if (verb === 'U') return pad(`U+${abs.toString(16).toUpperCase().padStart(4, '0')}`, spec, false);
        const digits = abs.toString(verb === 'd' ? 10 : verb === 'b' ? 2 : 8);
        const prefix = verb === 'O' ? '0o' : spec.sharp && verb === 'o' ? '0' : spec.sharp && verb === 'b' ? '0b' : '';
        return pad(signed(n, prefix + digits, spec), spec, true);
      }
    case 'x': case 'X': {
      let s: string;
      if (kind === 'int') {
        const n = v as number;
        s = signed(n, (spec.sharp ? '0x' : '') + Math.abs(n).toString(16), spec);
      } else if (kind === 'string' || kind === 'slice') {
        const bytes = kind === 'string' ? Buffer.from(v as string, 'utf8') : null;
        if (bytes === null) return pad(`[${(v as unknown[]).map((e) => formatOne(verb, e, noWidth(spec))).join(' ')}]`, spec, false);
        s = bytes.toString('hex');
      } else if (kind === 'float') {
        return badVerb(verb, v);
      } else {
        return badVerb(verb, v);
      }
      return pad(verb === 'X' ? s.toUpperCase().replace('0X', '0X') : s, spec, kind === 'int');
    }
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      if (kind !== 'float' && kind !== 'int') return badVerb(verb, v);
      if (kind === 'int') return badVerb(verb, v);
      return pad(formatFloatVerb(numberValue(v), verb, spec), spec, true);
    case 't':
      if (kind !== 'bool') return badVerb(verb, v);
      return pad(v ? 'true' : 'false', spec, false);
    default:
      return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
  }
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    const spec: Spec = { minus: false, plus: false, zero: false, space: false, sharp: false };
    for (; i < format.length; i++) {
      const f = format[i];
      if (f === '-') spec.minus = true;
      else if (f === '+') spec.plus = true;
      else if (f === '0') spec.zero = !spec.minus;
      else if (f === ' ') spec.space = true;
      else if (f === '#') spec.sharp = true;
      else break;
    }
    const width = /^\d+/.exec(format.slice(i));
    if (width) {
      spec.width = Number(width[0]);
      i += width[0].length;
    }
    if (format[i] === '.') {
      i++;
      const prec = /^\d+/.exec(format.slice(i));
      spec.prec = prec ? Number(prec[0]) : 0;
      if (prec) i += prec[0].length;
    }
    const verb = format[i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    i++;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, args[argi++], spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args.slice(argi).map((a) => (goKind(a) === 'invalid' ? '<nil>' : `${goTypeName(a)}=${formatValue(a)}`)).join(', ')})`;
  }
  return out;
}
