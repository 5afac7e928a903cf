/** How each instruction's argument text is split, following BuildKit's line parsers. */
import { DockerfileErrorCode as Code, problem } from './parse-error.js';
import { isGoSpace, splitWhitespace, trimGoSpaceLeft } from './text.js';
import type { KeyValue } from './types.js';

/** Arguments of one instruction; `json` when written as a JSON array. */
export interface Args {
  args: string[];
  json: boolean;
}

/** A JSON array of strings, undefined when the text is not a JSON array (shell form). */
export function parseJsonArray(rest: string): string[] | undefined {
  const t = trimGoSpaceLeft(rest);
  if (!t.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(t);
  } catch {
    // Invalid JSON falls back to shell form, as in Docker.
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v): v is string => typeof v === 'string')) {
    throw problem(Code.syntax, 'When using JSON array syntax, arrays must be comprised of strings only');
  }
  return value;
}

/** RUN, CMD, ENTRYPOINT, SHELL: JSON array or the whole text as one argument. */
export function maybeJson(rest: string): Args {
  if (rest === '') return { args: [], json: false };
  const arr = parseJsonArray(rest);
  return arr ? { args: arr, json: true } : { args: [rest], json: false };
}

/** COPY, ADD, VOLUME: JSON array or whitespace-separated words. */
export function maybeJsonList(rest: string): Args {
  const arr = parseJsonArray(rest);
  return arr ? { args: arr, json: true } : { args: whitespaceWords(rest), json: false };
}

/** EXPOSE, FROM: whitespace-separated words (quotes not special). */
export function whitespaceWords(rest: string): string[] {
  return rest === '' ? [] : splitWhitespace(rest);
}

/** Quote-aware word splitting that keeps quotes and escapes in the words (ARG, ENV, LABEL). */
export function parseWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let buf = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    const atEnd = pos === chars.length;
    let ch = atEnd ? '' : (chars[pos] as string);
    if (phase === 'spaces') {
      if (atEnd) break;
      if (isGoSpace(ch)) continue;
      phase = 'word';
    }
    if (atEnd) {
      if (blankOK || buf.length > 0) words.push(buf);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (blankOK || buf.length > 0) words.push(buf);
        buf = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escape) {
        if (pos + 1 === chars.length) continue;
        buf += ch;
        ch = chars[++pos] as string;
      }
      buf += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escape && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      buf += ch;
      ch = chars[++pos] as string;
    }
    buf += ch;
  }
  return words;
}

/** ENV and LABEL: `K=V K2="v 2"` or the legacy `K value with spaces`. */
export function parseNameValues(rest: string, keyword: string, escape: string): KeyValue[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) return [];
  if (!(words[0] as string).includes('=')) {
    const parts = splitWhitespace(rest, 2);
    if (parts.length < 2) throw problem(Code.syntax, `${keyword} must have two arguments`);
    return [{ key: parts[0] as string, value: parts[1] as string, legacy: true }];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw problem(Code.syntax, `Syntax error - can't find = in "${word}". Must be of the form: name=value`);
    }
    return { key: word.slice(0, eq), value: word.slice(eq + 1), legacy: false };
  });
}
