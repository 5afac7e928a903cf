import { cleanPath } from './clean-path.js';

/**
 * Reads a .dockerignore file into patterns, as Docker does: a UTF-8 BOM is dropped, lines
 * starting with `#` are comments, surrounding spaces are trimmed, blank lines skipped, each
 * pattern is cleaned (`./a/../b/` becomes `b`) and a leading `/` removed; `!` is kept.
 */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}
