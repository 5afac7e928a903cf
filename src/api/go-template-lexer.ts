/**
 * The lexer of Go's text/template, as the docker CLI's --format uses it: text, actions between
 * `{{` and `}}`, trim markers `{{- ` / ` -}}`, comments `{{/* *\/}}`. Errors carry Go's wording
 * ("unclosed action", "unterminated quoted string") and the line they were found on.
 */
export type TokenType =
  | 'text' | 'left' | 'right' | 'field' | 'variable' | 'dot' | 'identifier' | 'keyword' | 'string' | 'rawString'
  | 'char' | 'number' | 'bool' | 'nil' | 'pipe' | 'leftParen' | 'rightParen' | 'declare' | 'assign' | 'comma'
  | 'space' | 'eof';

export interface Token {
  type: TokenType;
  /** The source text (for text tokens: after trimming). */
  value: string;
  /** Byte offset in the template (UTF-16 offset; equal for the ASCII Docker users write). */
  pos: number;
  line: number;
}

/** A lexing error: Go's message and the line it names. */
export class TemplateLexError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

const keywords = new Set(['if', 'else', 'end', 'range', 'with', 'template', 'define', 'block', 'break', 'continue']);
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);

/** Go's %#U of a character, used in its "unrecognized character" message. */
function goRune(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

export function lexTemplate(input: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let trimNext = false;
  const newlines: number[] = [];
  for (let i = input.indexOf('\n'); i !== -1; i = input.indexOf('\n', i + 1)) newlines.push(i);
  /** 1 + the number of newlines before p (binary search: lexing stays linear). */
  const lineAt = (p: number): number => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((newlines[mid] as number) < p) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const emit = (type: TokenType, start: number, end: number, value = input.slice(start, end)): void => {
    tokens.push({ type, value, pos: start, line: lineAt(start) });
  };
  const atRightDelim = (p: number): { at: boolean; trim: boolean } => {
    if (isSpace(input[p]) && input[p + 1] === '-' && input.startsWith('}}', p + 2)) return { at: true, trim: true };
    return { at: input.startsWith('}}', p), trim: false };
  };

  while (pos <= input.length) {
    const open = input.indexOf('{{', pos);
    let text = input.slice(pos, open === -1 ? input.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open === -1) {
      if (text !== '') emit('text', pos, input.length, text);
      break;
    }
    const leftTrim = input[open + 2] === '-' && isSpace(input[open + 3]);
    if (leftTrim) text = text.replace(/[ \t\r\n]+$/, '');
    if (text !== '') emit('text', pos, open, text);
    let p = open + 2 + (leftTrim ? 2 : 0);
    const line = lineAt(open);
    if (input.startsWith('/*', p)) {
      const close = input.indexOf('*/', p + 2);
      if (close === -1) throw new TemplateLexError('unclosed comment', line);
      p = close + 2;
      const delim = atRightDelim(p);
      if (!delim.at) throw new TemplateLexError('comment ends before closing delimiter', lineAt(p));
      trimNext = delim.trim;
      pos = p + (delim.trim ? 4 : 2);
      continue;
    }
    emit('left', open, p);
    let parenDepth = 0;
    for (;;) {
      const delim = atRightDelim(p);
      if (delim.at) {
        if (parenDepth !== 0) throw new TemplateLexError('unclosed left paren', lineAt(p));
        const start = delim.trim ? p + 2 : p;
        emit('right', start, start + 2);
        trimNext = delim.trim;
        pos = start + 2;
        break;
      }
      const c = input[p];
      if (c === undefined) throw new TemplateLexError('unclosed action', lineAt(p));
      const start = p;
      if (isSpace(c)) {
        while (isSpace(input[p]) && !atRightDelim(p).trim) p++;
        emit('space', start, p);
      } else if (c === '=') {
        emit('assign', start, ++p);
      } else if (c === ':') {
        if (input[p + 1] !== '=') throw new TemplateLexError('expected :=', lineAt(p));
        p += 2;
        emit('declare', start, p);
      } else if (c === '|') {
        emit('pipe', start, ++p);
      } else if (c === '"') {
        p++;
        for (;;) {
          const d = input[p];
          if (d === '\\') { p += 2; continue; }
          if (d === undefined || d === '\n') throw new TemplateLexError('unterminated quoted string', lineAt(start));
          p++;
          if (d === '"') break;
        }
        emit('string', start, p);
      } else if (c === '`') {
        const close = input.indexOf('`', p + 1);
        if (close === -1) throw new TemplateLexError('unterminated raw quoted string', lineAt(start));
        p = close + 1;
        emit('rawString', start, p);
      } else if (c === "'") {
        p++;
        for (;;) {
          const d = input[p];
          if (d === '\\') { p += 2; continue; }
          if (d === undefined || d === '\n') throw new TemplateLexError('unterminated character constant', lineAt(start));
          p++;
          if (d === "'") break;
        }
        emit('char', start, p);
      } else if (c === '$') {
        p++;
        while (isAlnum(input[p])) p++;
        checkTerminator(p);
        emit('variable', start, p);
      } else if (c === '.' && !/[0-9]/.test(input[p + 1] ?? '')) {
        p++;
        if (!isAlnum(input[p])) {
          emit('dot', start, p);
          continue;
        }
        while (isAlnum(input[p])) p++;
        checkTerminator(p);
        emit('field', start, p);
      } else if (c === '+' || c === '-' || c === '.' || /[0-9]/.test(c)) {
        p = scanNumber(p);
        emit('number', start, p);
      } else if (isAlnum(c)) {
        while (isAlnum(input[p])) p++;
        checkTerminator(p);
        const word = input.slice(start, p);
        emit(keywords.has(word) ? 'keyword' : word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier', start, p);
      } else if (c === '(') {
        parenDepth++;
        emit('leftParen', start, ++p);
      } else if (c === ')') {
        parenDepth--;
        if (parenDepth < 0) throw new TemplateLexError('unexpected right paren', lineAt(p));
        emit('rightParen', start, ++p);
      } else if (c === ',') {
        emit('comma', start, ++p);
      } else {
        throw new TemplateLexError(`unrecognized character in action: ${goRune(c)}`, lineAt(p));
      }
    }
  }
  tokens.push({ type: 'eof', value: '', pos: input.length, line: lineAt(input.length) });
  return tokens;

  function checkTerminator(p: number): void {
    const c = input[p];
    if (c === undefined || isSpace(c) || '.,|:()='.includes(c) || input.startsWith('}}', p)) return;
    throw new TemplateLexError(`bad character ${goRune(c)}`, lineAt(p));
  }

  function scanNumber(p: number): number {
    const start = p;
    if (input[p] === '+' || input[p] === '-') p++;
    let digits = '0123456789_';
    if (input[p] === '0' && /[xXoObB]/.test(input[p + 1] ?? '')) {
      const base = (input[p + 1] ?? '').toLowerCase();
      digits = base === 'x' ? '0123456789abcdefABCDEF_' : base === 'o' ? '01234567_' : '01_';
      p += 2;
    }
    while (input[p] !== undefined && digits.includes(input[p] as string)) p++;
    if (input[p] === '.') {
      p++;
      while (input[p] !== undefined && digits.includes(input[p] as string)) p++;
    }
    if (digits.length === 11 && /[eE]/.test(input[p] ?? '')) {
      p++;
      if (input[p] === '+' || input[p] === '-') p++;
      while (/[0-9_]/.test(input[p] ?? '')) p++;
    }
    if (isAlnum(input[p])) throw new TemplateLexError(`bad number syntax: "${input.slice(start, p + 1)}"`, lineAt(start));
    return p;
  }
}
