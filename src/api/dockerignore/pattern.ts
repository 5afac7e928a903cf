/**
 * One .dockerignore pattern, compiled with moby/patternmatcher's rules: `*` and `?` never cross
 * "/", `**` spans any number of directories, `[...]` classes, `\` escapes; plain patterns
 * compare exactly, `foo/**` as a prefix and `**\/foo` as a suffix.
 */
import { errors } from '../../base/index.js';

type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

const needsEscape = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

function badPattern(pattern: string, why: string): Error {
  return errors.invalidArgument('DOCKERIGNORE_PATTERN', `Invalid .dockerignore pattern "${pattern}": ${why}`);
}

/** Rejects what Go's filepath.Match calls a bad pattern (unclosed class, trailing escape). */
function validate(pattern: string): void {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (i + 1 >= pattern.length) throw badPattern(pattern, 'trailing escape character');
      i++;
    } else if (ch === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') throw badPattern(pattern, 'empty character class');
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      if (j >= pattern.length) throw badPattern(pattern, 'unclosed character class');
      i = j;
    }
  }
}

export class Pattern {
  readonly exclusion: boolean;
  /** The cleaned pattern without its `!`. */
  readonly text: string;
  /** The pattern's path components. */
  readonly dirs: string[];
  private readonly type: MatchType;
  private readonly regexp: RegExp | undefined;

  constructor(text: string, exclusion: boolean) {
    validate(text);
    this.text = text;
    this.exclusion = exclusion;
    this.dirs = text.split('/');
    const [type, source] = compile(text);
    this.type = type;
    try {
      this.regexp = type === 'regexp' ? new RegExp(source) : undefined;
    } catch (err) {
      throw badPattern(text, err instanceof Error ? err.message : String(err));
    }
  }

  match(path: string): boolean {
    switch (this.type) {
      case 'exact':
        return path === this.text;
      case 'prefix':
        return path.startsWith(this.text.slice(0, -2));
      case 'suffix': {
        const suffix = this.text.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      default:
        return (this.regexp as RegExp).test(path);
    }
  }
}

function compile(pattern: string): [MatchType, string] {
  let re = '^';
  let type: MatchType = 'exact';
  const chars = Array.from(pattern);
  for (let i = 0, n = 0; i < chars.length; i++, n++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        if (i + 1 >= chars.length) {
          if (type === 'exact') type = 'prefix';
          else {
            re += '.*';
            type = 'regexp';
          }
        } else {
          re += '(.*/)?';
          type = 'regexp';
        }
        if (n === 0) type = 'suffix';
      } else {
        re += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      re += '[^/]';
      type = 'regexp';
    } else if (needsEscape.has(ch)) {
      re += `\\${ch}`;
    } else if (ch === '\\') {
      if (i + 1 < chars.length) {
        re += `\\${chars[++i] as string}`;
        type = 'regexp';
      } else re += '\\\\';
    } else if (ch === '[' || ch === ']') {
      re += ch;
      type = 'regexp';
    } else {
      re += ch;
    }
  }
  return [type, type === 'regexp' ? `${re}$` : re];
}
