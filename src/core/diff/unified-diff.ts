/**
 * unifiedDiff: two texts as a unified diff (`diff -u`'s format: `---`/`+++` names, `@@` hunks
 * with three lines of context, `\ No newline at end of file`), for `image diff --content`.
 * Lines are matched by Myers' O(ND) algorithm after the common head and tail are set aside; when
 * the texts differ in more than `maxEdits` lines the middle is shown as removed then added
 * (a correct diff, not a minimal one), so time and memory stay bounded for any input.
 */

interface Lines {
  lines: string[];
  /** The text ends without a newline (its last line is incomplete). */
  noNewline: boolean;
}

function splitLines(text: string): Lines {
  if (text === '') return { lines: [], noNewline: false };
  const lines = text.split('\n');
  const noNewline = lines.at(-1) !== '';
  if (!noNewline) lines.pop();
  return { lines, noNewline };
}

type Op = '=' | '-' | '+';

/** Myers' shortest edit script of a[lo..] against b[lo..]; undefined when it needs more than maxEdits edits. */
function myers(a: readonly string[], b: readonly string[], maxEdits: number): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v;
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (next[offset + k - 1] as number) < (next[offset + k + 1] as number))
        ? (next[offset + k + 1] as number)
        : (next[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, d, n, m, offset);
    }
    v = next;
  }
  return undefined;
}

function backtrack(trace: Int32Array[], dEnd: number, n: number, m: number, offset: number): Op[] {
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = dEnd; d > 0; d--) {
    const v = trace[d] as Int32Array; // V before step d
    const k = x - y;
    const down = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number));
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK] as number;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push('=');
      x--;
      y--;
    }
    ops.push(down ? '+' : '-');
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push('=');
    x--;
    y--;
  }
  return ops.reverse();
}

function editScript(a: readonly string[], b: readonly string[], maxEdits: number): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const middle = myers(midA, midB, maxEdits) ?? [...midA.map((): Op => '-'), ...midB.map((): Op => '+')];
  return [...Array<Op>(head).fill('='), ...middle, ...Array<Op>(tail).fill('=')];
}

function range(start: number, count: number): string {
  if (count === 1) return String(start);
  return `${count === 0 ? start - 1 : start},${count}`;
}

export interface UnifiedDiffOptions {
  /** Lines of context around each change (default 3). */
  context?: number;
  /** Edits beyond which the middle is shown as a whole replacement (default 4000). */
  maxEdits?: number;
}

/**
 * The unified diff of `a` (named `nameA`, `/dev/null` for an added file) and `b`; the empty
 * string when the texts are equal.
 */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, options: UnifiedDiffOptions = {}): string {
  if (a === b) return '';
  const context = options.context ?? 3;
  const la = splitLines(a);
  const lb = splitLines(b);
  // An incomplete last line differs from the complete one: compare it with a marker.
  const mark = (l: Lines) => (l.noNewline ? [...l.lines.slice(0, -1), `${l.lines.at(-1) ?? ''}\u0000`] : l.lines);
  const ops = editScript(mark(la), mark(lb), options.maxEdits ?? 4000);
  // Positions: for each op, the index in a and b before it.
  const out = [`--- ${nameA}\n`, `+++ ${nameB}\n`];
  let i = 0;
  while (i < ops.length) {
    if (ops[i] === '=') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2*context unchanged lines from the next.
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end] !== '=') end++;
      let same = 0;
      while (end + same < ops.length && ops[end + same] === '=') same++;
      if (end + same < ops.length && same <= 2 * context) end += same;
      else break;
    }
    const start = Math.max(0, i - context);
    const stop = Math.min(ops.length, end + context);
    let ai = 0;
    let bi = 0;
    for (let j = 0; j < start; j++) {
      if (ops[j] !== '+') ai++;
      if (ops[j] !== '-') bi++;
    }
    const body: string[] = [];
    let countA = 0;
    let countB = 0;
    const lineOf = (l: Lines, index: number, prefix: string) => {
      const text = `${prefix}${l.lines[index] ?? ''}\n`;
      return l.noNewline && index === l.lines.length - 1 ? `${text}\\ No newline at end of file\n` : text;
    };
    let x = ai;
    let y = bi;
    for (let j = start; j < stop; j++) {
      const op = ops[j];
      if (op === '=') {
        // A shared last line without a newline in one text only is not '=' (the marker), so `a`'s form serves.
        body.push(lineOf(la, x, ' '));
        x++;
        y++;
        countA++;
        countB++;
      } else if (op === '-') {
        body.push(lineOf(la, x, '-'));
        x++;
        countA++;
      } else {
        body.push(lineOf(lb, y, '+'));
        y++;
        countB++;
      }
    }
    out.push(`@@ -${range(ai + 1, countA)} +${range(bi + 1, countB)} @@\n`, ...body);
    i = stop;
  }
  return out.join('');
}

/** Whether `data` reads as text: UTF-8 without NUL bytes. */
export function isText(data: Buffer): boolean {
  if (data.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}
