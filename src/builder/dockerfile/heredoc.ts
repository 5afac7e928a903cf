import { DockerfileErrorCode as Code, problem } from './parse-error.js';
import { ShellLexer } from './shell-lexer.js';
import type { Heredoc } from './types.js';

const heredocWord = /^(\d*)<<(-?)\s*([^<]*)$/;

function lex(text: string, rawQuotes: boolean, rawEscapes: boolean): string[] | undefined {
  try {
    return new ShellLexer({ rawQuotes, rawEscapes, skipUnsetEnv: true }).process(text, {}).words;
  } catch {
    // A word the lexer cannot read (e.g. an unbalanced quote) is not a heredoc, as in BuildKit.
    return undefined;
  }
}

/**
 * Reads one word as a heredoc opener (`<<EOF`, `<<-EOF`, `3<<"EOF"`), or undefined when it is not
 * one. Content is filled in later by the line scanner.
 */
export function parseHeredocWord(word: string): Heredoc | undefined {
  const m = heredocWord.exec(word);
  if (!m) return undefined;
  const rest = m[3] ?? '';
  if (rest === '') return undefined;
  const words = lex(rest, false, false);
  if (words === undefined) throw problem(Code.heredoc, `invalid heredoc name ${JSON.stringify(rest)}`);
  if (words.length !== 1) return undefined;
  const raw = lex(rest, true, false);
  if (raw === undefined || raw.length !== 1) throw problem(Code.heredoc, `invalid heredoc name ${JSON.stringify(rest)}`);
  const name = words[0] as string;
  const quotes = (s: string): number => (s.match(/['"]/g) ?? []).length;
  return {
    name,
    content: '',
    chomp: m[2] === '-',
    // Quotes that disappear when quotes are processed mean the name was quoted: no expansion.
    expand: quotes(name) === quotes(raw[0] as string),
    fileDescriptor: m[1] === '' || m[1] === undefined ? 0 : Number(m[1]),
  };
}

/** The heredoc openers on an instruction line, in order. */
export function heredocsFromLine(line: string): Heredoc[] {
  const words = lex(line, true, true) ?? [];
  const docs: Heredoc[] = [];
  for (const word of words) {
    const doc = parseHeredocWord(word);
    if (doc) docs.push(doc);
  }
  return docs;
}

/** The body with leading tabs removed from every line (what `<<-` means). */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, '');
}

/** The text a heredoc stands for: its body, tab-stripped when opened with `<<-`. */
export function heredocText(doc: Heredoc): string {
  return doc.chomp ? chompHeredoc(doc.content) : doc.content;
}
