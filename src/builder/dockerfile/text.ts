/** Small text helpers shared by the Dockerfile parser, matching Go's definitions where Docker relies on them. */

/** Go's `unicode.IsSpace`. */
export function isGoSpace(ch: string): boolean {
  switch (ch) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ': case '\u0085': case '\u00a0':
      return true;
    default:
      return ch.length > 0 && ch.charCodeAt(0) > 0xff && /^\p{White_Space}$/u.test(ch);
  }
}

/** Go's `strings.TrimSpace` (Unicode white space on both ends). */
export function trimGoSpace(s: string): string {
  return trimGoSpaceLeft(trimGoSpaceRight(s));
}

export function trimGoSpaceLeft(s: string): string {
  let i = 0;
  while (i < s.length && isGoSpace(s[i] as string)) i++;
  return s.slice(i);
}

export function trimGoSpaceRight(s: string): string {
  let i = s.length;
  while (i > 0 && isGoSpace(s[i - 1] as string)) i--;
  return s.slice(0, i);
}

/** Docker's `[\t\v\f\r ]+` separator used for whitespace-delimited arguments. */
export const whitespaceRun = /[\t\v\f\r ]+/;

/** Splits like Go's `regexp.Split(s, n)` with the whitespace separator (n = 2 or all). */
export function splitWhitespace(s: string, limit?: 2): string[] {
  if (limit === undefined) return s.split(/[\t\v\f\r ]+/);
  const m = whitespaceRun.exec(s);
  if (!m) return [s];
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}

/** The closest option within edit distance 2 (BuildKit's `suggest.Search`), or undefined. */
export function suggest(value: string, options: readonly string[], caseSensitive: boolean): string | undefined {
  const v = caseSensitive ? value : value.toLowerCase();
  let best: string | undefined;
  let min = 3;
  for (const option of options) {
    const o = caseSensitive ? option : option.toLowerCase();
    if (o === v) return undefined;
    const d = levenshtein(v, o);
    if (d < min) {
      min = d;
      best = option;
    }
  }
  return best;
}
