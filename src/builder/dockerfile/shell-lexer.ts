/**
 * The Dockerfile word lexer: variable substitution, quotes and escapes with the semantics of
 * BuildKit's `frontend/dockerfile/shell` package (which is what `docker build` uses for ENV,
 * LABEL, COPY, ADD, WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL, ARG, FROM and --mount values).
 *
 * Supported: `$VAR`, `${VAR}`, `${VAR:-w}`, `${VAR-w}`, `${VAR:+w}`, `${VAR+w}`, `${VAR:?msg}`,
 * `${VAR?msg}`, `${VAR#pat}`, `${VAR##pat}`, `${VAR%pat}`, `${VAR%%pat}`, `${VAR/pat/rep}`,
 * `${VAR//pat/rep}`, single quotes (literal), double quotes, and the escape character.
 */
import { errors } from '../../base/index.js';
import { isGoSpace } from './text.js';

export type EnvSource = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface LexerOptions {
  /** The escape character: `\` (default) or `` ` `` as set by `# escape=`. */
  escape?: '\\' | '`';
  /** Keep quote characters in the output. */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Leave references to unset variables as written instead of expanding them to "". */
  skipUnsetEnv?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
}

export interface ProcessResult {
  /** The word as one string (single-word processing). */
  result: string;
  /** The word split the way Docker splits it (EXPOSE, and for heredoc detection). */
  words: string[];
  /** Names that were looked up and set. */
  matched: Set<string>;
  /** Names that were looked up and not set. */
  unmatched: Set<string>;
}

const EOF = -1;

function lookup(env: EnvSource, name: string): string | undefined {
  // instanceof narrows a ReadonlyMap to Map<any, any>; say what it holds.
  if (env instanceof Map) return (env as ReadonlyMap<string, string>).get(name);
  const rec = env as Readonly<Record<string, string>>;
  return Object.prototype.hasOwnProperty.call(rec, name) ? rec[name] : undefined;
}

function substitutionError(message: string): Error {
  return errors.invalidArgument('DOCKERFILE_SUBSTITUTION', message);
}

/** Collects whitespace-split words the way BuildKit's wordsStruct does. */
class Words {
  buf = '';
  words: string[] = [];
  inWord = false;

  addChar(ch: string): void {
    if (isGoSpace(ch)) {
      if (this.inWord && this.buf.length > 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class Scan {
  private readonly chars: string[];
  private pos = 0;
  constructor(text: string) {
    this.chars = Array.from(text);
  }
  peek(): string | typeof EOF {
    return this.pos < this.chars.length ? (this.chars[this.pos] as string) : EOF;
  }
  next(): string | typeof EOF {
    return this.pos < this.chars.length ? (this.chars[this.pos++] as string) : EOF;
  }
}

const isLetter = (ch: string): boolean => /^\p{L}$/u.test(ch);
const isDigit = (ch: string): boolean => /^\p{Nd}$/u.test(ch);
const isSpecialParam = (ch: string): boolean => '@*#?-$!0'.includes(ch);

export class ShellLexer {
  private readonly escape: string;
  private readonly opts: LexerOptions;
  /** When set, `${X?msg}` never fails (used to list references without an environment). */
  private readonly lenientRequired: boolean;
  private scan = new Scan('');
  private env: EnvSource = {};
  private matched = new Set<string>();
  private unmatched = new Set<string>();
  private rawEscapes = false;

  constructor(options: LexerOptions = {}, lenientRequired = false) {
    this.escape = options.escape ?? '\\';
    this.opts = options;
    this.lenientRequired = lenientRequired;
  }

  process(word: string, env: EnvSource): ProcessResult {
    this.scan = new Scan(word);
    this.env = env;
    this.matched = new Set();
    this.unmatched = new Set();
    this.rawEscapes = this.opts.rawEscapes === true;
    try {
      const [result, words] = this.processStopOn(EOF, this.rawEscapes);
      return { result, words, matched: this.matched, unmatched: this.unmatched };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw substitutionError(`Failed to process ${JSON.stringify(word)}: ${reason}`);
    }
  }

  private processStopOn(stop: string | typeof EOF, rawEscapes: boolean): [string, string[]] {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.stopOnLoop(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private stopOnLoop(stop: string | typeof EOF): [string, string[]] {
    let result = '';
    const words = new Words();
    const quotes = this.opts.skipProcessQuotes !== true;
    for (let ch = this.scan.peek(); ch !== EOF; ch = this.scan.peek()) {
      if (stop !== EOF && ch === stop) {
        this.scan.next();
        return [result, words.finish()];
      }
      if (ch === '$' || ch === '<' || (quotes && (ch === "'" || ch === '"'))) {
        const tmp = ch === '$' ? this.processDollar() : ch === '<' ? this.processPossibleHeredoc()
          : ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
        result += tmp;
        if (ch === '$') words.addString(tmp);
        else words.addRawString(tmp);
        continue;
      }
      let c = this.scan.next() as string;
      if (c === this.escape) {
        if (this.rawEscapes) {
          words.addRawChar(c);
          result += c;
        }
        const n = this.scan.next();
        if (n === EOF) break;
        c = n;
        words.addRawChar(c);
      } else {
        words.addChar(c);
      }
      result += c;
    }
    if (stop !== EOF) throw new Error(`unexpected end of statement while looking for matching ${stop}`);
    return [result, words.finish()];
  }

  private processSingleQuote(): string {
    let result = '';
    const open = this.scan.next() as string;
    if (this.opts.rawQuotes === true) result += open;
    for (;;) {
      const ch = this.scan.next();
      if (ch === EOF) throw new Error('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opts.rawQuotes === true) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = '';
    const open = this.scan.next() as string;
    if (this.opts.rawQuotes === true) result += open;
    for (;;) {
      const peek = this.scan.peek();
      if (peek === EOF) throw new Error('unexpected end of statement while looking for matching double-quote');
      if (peek === '"') {
        this.scan.next();
        if (this.opts.rawQuotes === true) result += '"';
        return result;
      }
      if (peek === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.scan.next() as string;
      if (ch === this.escape) {
        if (this.rawEscapes) result += ch;
        const after = this.scan.peek();
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === this.escape) ch = this.scan.next() as string;
      }
      result += ch;
    }
  }

  private getEnv(name: string): string | undefined {
    const value = lookup(this.env, name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }

  private processName(): string {
    let name = '';
    for (let ch = this.scan.peek(); ch !== EOF; ch = this.scan.peek()) {
      if (name === '' && isDigit(ch)) {
        while (this.scan.peek() !== EOF && isDigit(this.scan.peek() as string)) name += this.scan.next() as string;
        return name;
      }
      if (name === '' && isSpecialParam(ch)) return this.scan.next() as string;
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.scan.next() as string;
    }
    return name;
  }

  private processDollar(): string {
    this.scan.next();
    if (this.scan.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnsetEnv === true) return `$${name}`;
      return value ?? '';
    }
    this.scan.next();
    const first = this.scan.peek();
    if (first === EOF) throw new Error("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new Error('syntax error: bad substitution');
    const name = this.processName();
    const ch = this.scan.next();
    if (ch === '}') {
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnsetEnv === true) return `\${${name}}`;
      return value ?? '';
    }
    if (ch === EOF) throw new Error("syntax error: missing '}'");
    if (ch === '/') return this.processReplace(name);
    let op = ch;
    let modifier = op;
    const nullIsUnset = op === ':';
    if (nullIsUnset) {
      const n = this.scan.next();
      op = n === EOF ? '' : n;
      modifier += op;
    }
    if (!['+', '-', '?', '#', '%'].includes(op) || op === '') {
      throw new Error(`unsupported modifier (${modifier}) in substitution`);
    }
    return this.processModifier(name, op, modifier, nullIsUnset);
  }

  private readUntil(stop: string, raw: boolean, missing: string): string {
    try {
      return this.processStopOn(stop, raw)[0];
    } catch (err) {
      if (this.scan.peek() === EOF) throw new Error(missing, { cause: err });
      throw err;
    }
  }

  private processModifier(name: string, op: string, modifier: string, nullIsUnset: boolean): string {
    const trims = op === '#' || op === '%';
    if (nullIsUnset && trims) throw new Error(`unsupported modifier (${modifier}) in substitution`);
    let word = this.readUntil('}', trims, "syntax error: missing '}'");
    const value = this.getEnv(name);
    if (value === undefined && this.opts.skipUnsetEnv === true) return `\${${name}${modifier}${word}}`;
    const empty = value === undefined || (nullIsUnset && value === '');
    switch (op) {
      case '-':
        return empty ? word : value;
      case '+':
        return empty ? '' : word;
      case '?':
        if (this.lenientRequired) return value ?? '';
        if (value === undefined) throw new Error(`${name}: ${word === '' ? 'is not allowed to be unset' : word}`);
        if (nullIsUnset && value === '') throw new Error(`${name}: ${word === '' ? 'is not allowed to be empty' : word}`);
        return value;
      default: {
        const greedy = word.startsWith(op);
        if (greedy) word = word.slice(1);
        return op === '%' ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
      }
    }
  }

  private processReplace(name: string): string {
    const all = this.scan.peek() === '/';
    if (all) this.scan.next();
    const pattern = this.readUntil('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.readUntil('}', true, "syntax error: missing '}'");
    const value = this.getEnv(name);
    if (value === undefined && this.opts.skipUnsetEnv === true) return `\${${name}/${pattern}/${replacement}}`;
    const re = shellPatternToRegex(pattern, true, false, all);
    // A function replacement keeps `$&` and friends literal, as Go's ReplaceAllString would not.
    return (value ?? '').replace(re, () => replacement);
  }

  private processPossibleHeredoc(): string {
    this.scan.next();
    if (this.scan.peek() !== '<') return '<';
    this.scan.next();
    let space = '';
    for (let c = this.scan.peek(); c === ' ' || c === '\t' || c === '\r'; c = this.scan.peek()) {
      space += c;
      this.scan.next();
    }
    return `<<${space}`;
  }
}

function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const tok = chars[i] as string;
    if (tok === '*') out += greedy ? '[^\\n]*' : '[^\\n]*?';
    else if (tok === '?') out += '[^\\n]';
    else if (tok === '\\') {
      const next = chars[i + 1];
      if (next === '}' || next === '/') continue;
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new Error(`invalid pattern (${pattern}) in substitution: invalid escape '\\${next ?? ''}'`);
      }
      out += `\\${next}`;
      i++;
    } else out += /[[\]{}.+()|^$]/.test(tok) ? `\\${tok}` : tok;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    if (chars[i] === '\\' && i !== chars.length - 1) {
      out.unshift(chars[i] as string, chars[i + 1] as string);
      i += 2;
    } else {
      out.unshift(chars[i] as string);
      i++;
    }
  }
  return out.join('');
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reversed = Array.from(value).reverse().join('');
  return Array.from(trimPrefix(reversePattern(pattern), reversed, greedy)).reverse().join('');
}
