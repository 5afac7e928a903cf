import { ShellLexer } from './shell-lexer.js';
import type { EnvSource, LexerOptions } from './shell-lexer.js';

export interface ExpandOptions {
  /** The Dockerfile's escape character (from `# escape=`); default `\`. */
  escape?: '\\' | '`';
}

/**
 * Expands one word as Docker does for ENV/LABEL values, WORKDIR, USER, COPY/ADD paths, etc.:
 * variables are substituted, quotes and escapes removed, no splitting. Throws BerthError
 * `DOCKERFILE_SUBSTITUTION` on a syntax error or a failed `${X:?msg}`.
 */
export function expandWord(word: string, env: EnvSource, options: ExpandOptions = {}): string {
  return lexer(options).process(word, env).result;
}

/** Expands and splits into words as Docker does for EXPOSE (`$PORTS` may yield several ports). */
export function expandWords(word: string, env: EnvSource, options: ExpandOptions = {}): string[] {
  return lexer(options).process(word, env).words;
}

/**
 * The variable names a word refers to (sorted, unique), whatever their values: the names whose
 * values a cache key for this word must include. Never throws on `${X:?}`; still throws on syntax errors.
 */
export function referencedEnvNames(word: string, options: ExpandOptions & { env?: EnvSource } = {}): string[] {
  const r = new ShellLexer(lexerOptions(options), true).process(word, options.env ?? {});
  return [...new Set([...r.matched, ...r.unmatched])].sort();
}

function lexerOptions(options: ExpandOptions): LexerOptions {
  return options.escape === undefined ? {} : { escape: options.escape };
}

function lexer(options: ExpandOptions): ShellLexer {
  return new ShellLexer(lexerOptions(options));
}

/**
 * Instructions whose arguments the builder expands with ARG/ENV values before use (Docker's
 * list). RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD are not expanded by
 * the builder: RUN's shell does its own expansion at run time. For ADD/COPY this also covers
 * the --chown, --chmod and --from values; for RUN, only --mount values are expanded.
 */
export const EXPANSION_INSTRUCTIONS: readonly string[] = Object.freeze([
  'ADD', 'ARG', 'COPY', 'ENV', 'EXPOSE', 'FROM', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

/** True when Docker substitutes variables in this instruction's arguments. */
export function expandsVariables(kind: string): boolean {
  return EXPANSION_INSTRUCTIONS.includes(kind.toUpperCase());
}
