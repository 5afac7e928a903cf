/**
 * DockerignoreMatcher: decides which context paths `docker build` leaves out, with
 * moby/patternmatcher semantics as BuildKit applies them: patterns are tried in order and the
 * last one that matches wins (`!pattern` re-includes); a pattern matching a parent directory
 * matches everything below it.
 */
import { errors } from '../../base/index.js';
import { cleanPath, contextPath } from './clean-path.js';
import { Pattern } from './pattern.js';

/** Per-segment glob test (`*`, `?`, `[...]`), used to decide whether an exception can reach inside a directory. */
function segmentMayMatch(patternSegment: string, segment: string): boolean {
  if (patternSegment.includes('**')) return true;
  try {
    return new Pattern(patternSegment, false).match(segment);
  } catch {
    // An unusual segment we cannot judge: assume it may match, so nothing is wrongly pruned.
    return true;
  }
}

export class DockerignoreMatcher {
  readonly patterns: readonly Pattern[];
  /** True when some pattern starts with `!`. */
  readonly hasExclusions: boolean;

  constructor(patterns: readonly string[]) {
    const out: Pattern[] = [];
    for (const p of patterns) {
      let text = p.trim();
      if (text === '') continue;
      text = cleanPath(text);
      let exclusion = false;
      if (text.startsWith('!')) {
        if (text.length === 1) throw errors.invalidArgument('DOCKERIGNORE_PATTERN', 'Illegal exclusion pattern: "!"');
        exclusion = true;
        text = text.slice(1);
      }
      out.push(new Pattern(text, exclusion));
    }
    this.patterns = out;
    this.hasExclusions = out.some((p) => p.exclusion);
  }

  /**
   * True when `path` (relative to the context, "/" separators) is excluded from the build
   * context: by a pattern matching it or one of its parent directories, unless a later
   * exception re-includes it. The context root "." is never excluded.
   */
  matches(path: string): boolean {
    const file = contextPath(path);
    if (file === '.') return false;
    const parents = file.split('/').slice(0, -1);
    let matched = false;
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.match(file);
      for (let i = 1; !match && i <= parents.length; i++) match = pattern.match(parents.slice(0, i).join('/'));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * True when a context walker may skip the directory `dirPath` without looking inside: it is
   * excluded and no exception (`!pattern`) could match anything below it.
   */
  canSkipDir(dirPath: string): boolean {
    if (!this.matches(dirPath)) return false;
    if (!this.hasExclusions) return true;
    const dir = contextPath(dirPath).split('/');
    return !this.patterns.some((p) => p.exclusion && this.mayReachInside(p, dir));
  }

  private mayReachInside(pattern: Pattern, dir: readonly string[]): boolean {
    for (let i = 0; i < dir.length; i++) {
      const seg = pattern.dirs[i];
      if (seg === undefined) return true;
      if (!segmentMayMatch(seg, dir[i] as string)) return false;
      if (seg.includes('**')) return true;
    }
    return true;
  }
}
