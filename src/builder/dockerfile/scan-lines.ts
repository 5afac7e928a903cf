/**
 * The first pass over a Dockerfile, with BuildKit's parser rules: parser directives at the top,
 * comments, line continuations (and empty continuation lines), instruction keyword and
 * `--flags` splitting, and heredoc bodies. Produces one RawInstruction per instruction.
 */
import { heredocsFromLine } from './heredoc.js';
import { DockerfileErrorCode as Code, located, problem } from './parse-error.js';
import { isGoSpace, splitWhitespace, trimGoSpace, trimGoSpaceLeft } from './text.js';
import type { Heredoc, ParserDirectives, SourceLocation } from './types.js';

export interface RawInstruction {
  /** The keyword as written (`run`, `RUN`). */
  keyword: string;
  flags: string[];
  /** The arguments after the flags, trimmed. */
  rest: string;
  /** The joined line (continuations removed), as BuildKit's Node.Original. */
  original: string;
  location: SourceLocation;
  heredocs: Heredoc[];
  /** Comment lines just before the instruction (without `#`). */
  comments: string[];
}

export interface ScanResult {
  directives: ParserDirectives;
  instructions: RawInstruction[];
  /** Lines in the file, for end-of-file error locations. */
  lineCount: number;
  warnings: string[];
}

const directivePattern = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const knownDirectives = new Set(['syntax', 'escape', 'check']);
const heredocCapable = new Set(['add', 'copy', 'run']);

/** Splits into lines keeping their endings, like BuildKit's scanner. */
function splitLines(text: string): string[] {
  const lines = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  if (lines[0]?.startsWith('\ufeff')) lines[0] = lines[0].slice(1);
  return lines;
}

const trimNewline = (s: string): string => s.replace(/[\r\n]+$/, '');
const isComment = (s: string): boolean => trimGoSpaceLeft(s).startsWith('#');

class DirectiveReader {
  done = false;
  readonly values: ParserDirectives = { escape: '\\' };
  private readonly seen = new Set<string>();

  /** Looks at a left-trimmed line; true when it was a directive. */
  read(line: string): boolean {
    if (this.done) return false;
    if (!line.startsWith('#')) return this.stop();
    const m = directivePattern.exec(trimGoSpaceLeft(line.slice(1)));
    const key = m?.[1]?.toLowerCase();
    if (!m || key === undefined || !knownDirectives.has(key)) return this.stop();
    if (this.seen.has(key)) throw problem(Code.directive, `Only one ${key} parser directive can be used`);
    this.seen.add(key);
    const value = m[2] as string;
    if (key === 'escape') {
      if (value !== '\\' && value !== '`') {
        throw problem(Code.directive, `Invalid escape token "${value}" does not match \` or \\`);
      }
      this.values.escape = value;
    } else if (key === 'syntax') this.values.syntax = value;
    else this.values.check = value;
    return true;
  }

  private stop(): false {
    this.done = true;
    return false;
  }
}

/** Removes a trailing continuation character; returns [line, isEndOfLine]. */
function trimContinuation(line: string, escape: string): [string, boolean] {
  const e = escape === '\\' ? '\\\\' : escape;
  const re = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  if (!re.test(line)) return [line, true];
  return [line.replace(re, '$1'), false];
}

export function scanLines(text: string, file: string): ScanResult {
  const lines = splitLines(text);
  const reader = new DirectiveReader();
  const out: RawInstruction[] = [];
  const warnings: string[] = [];
  let comments: string[] = [];
  let i = 0;
  const at = (line: number, column = 1) => ({ file, line, column });
  while (i < lines.length) {
    const rawLine = lines[i] as string;
    const lineNo = ++i;
    const trimmed = trimGoSpaceLeft(trimNewline(rawLine));
    if (isComment(rawLine)) {
      const comment = trimGoSpace(trimmed.slice(1));
      comments = comment === '' ? [] : [...comments, comment];
    }
    try {
      if (reader.read(trimmed)) comments = comments.slice(0, -1);
    } catch (err) {
      throw located(err, at(lineNo));
    }
    const column = trimNewline(rawLine).length - trimmed.length + 1;
    let [line, end] = trimContinuation(isComment(trimmed) ? '' : trimmed, reader.values.escape);
    if (end && line === '') continue;
    let emptyContinuation = false;
    while (!end && i < lines.length) {
      const next = lines[i++] as string;
      if (isComment(next)) continue;
      const body = trimNewline(next);
      if (trimGoSpaceLeft(body) === '') {
        emptyContinuation = true;
        continue;
      }
      let part: string;
      [part, end] = trimContinuation(body, reader.values.escape);
      line += part;
    }
    if (emptyContinuation) warnings.push(`Empty continuation line found in: ${line}`);
    const location: SourceLocation = { file, line: lineNo, column, endLine: i };
    const instruction = buildRaw(line, reader.values.escape, location, comments);
    try {
      i = readHeredocs(instruction, lines, i);
    } catch (err) {
      throw located(err, at(lineNo, column));
    }
    instruction.location.endLine = i;
    out.push(instruction);
    comments = [];
  }
  return { directives: reader.values, instructions: out, lineCount: lines.length, warnings };
}

function buildRaw(line: string, escape: string, location: SourceLocation, comments: string[]): RawInstruction {
  const { keyword, flags, rest } = splitCommand(line, escape);
  return { keyword, flags, rest, original: line, location, heredocs: [], comments };
}

/** Whether the instruction (or the ONBUILD trigger) may carry heredocs. */
function canContainHeredoc(raw: { keyword: string; rest: string }, escape: string): boolean {
  let keyword = raw.keyword.toLowerCase();
  let rest = raw.rest;
  if (keyword === 'onbuild') {
    const inner = splitCommand(rest, escape);
    keyword = inner.keyword.toLowerCase();
    rest = inner.rest;
  }
  if (!heredocCapable.has(keyword)) return false;
  return !isJsonArray(rest);
}

function isJsonArray(rest: string): boolean {
  const t = trimGoSpaceLeft(rest);
  if (!t.startsWith('[')) return false;
  try {
    return Array.isArray(JSON.parse(t));
  } catch {
    // Not valid JSON: shell form, which may carry heredocs.
    return false;
  }
}

function readHeredocs(raw: RawInstruction, lines: string[], start: number): number {
  if (!raw.original.includes('<<') || !canContainHeredoc(raw, '\\')) return start;
  let i = start;
  for (const doc of heredocsFromLine(raw.original)) {
    let content = '';
    let terminated = false;
    while (i < lines.length) {
      const line = lines[i++] as string;
      let candidate = trimNewline(line);
      if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
      if (candidate === doc.name) {
        terminated = true;
        break;
      }
      content += line;
    }
    if (!terminated) throw problem(Code.heredoc, `Unterminated heredoc "${doc.name}"`);
    raw.heredocs.push({ ...doc, content });
  }
  return i;
}

/** Splits `KEYWORD --flags args` as BuildKit's splitCommand/extractBuilderFlags do. */
export function splitCommand(line: string, escape: string): { keyword: string; flags: string[]; rest: string } {
  const parts = splitWhitespace(trimGoSpace(line), 2);
  const keyword = parts[0] as string;
  if (parts.length < 2) return { keyword, flags: [], rest: '' };
  const [rest, flags] = extractFlags(parts[1] as string, escape);
  return { keyword, flags, rest: trimGoSpace(rest) };
}

function extractFlags(line: string, escape: string): [string, string[]] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let buf = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? (line[pos] as string) : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isGoSpace(ch)) continue;
      if (ch !== '-' || line[pos + 1] !== '-') return [line.slice(pos), words];
      phase = 'word';
    }
    if (pos === line.length) {
      if (buf !== '--' && (blankOK || buf.length > 0)) words.push(buf);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (buf === '--') return [line.slice(pos), words];
        if (blankOK || buf.length > 0) words.push(buf);
        buf = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === line.length) continue;
        pos++;
      }
      buf += line[pos] as string;
      continue;
    }
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    if (ch === escape) {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      pos++;
    }
    buf += line[pos] as string;
  }
  return ['', words];
}
