/**
 * `images --filter` (and `images REPOSITORY[:TAG]`): Docker's image filters over image summaries.
 * Values of one key are alternatives; different keys must all match. Messages are dockerd's
 * (observed with 20.10): `Invalid filter 'foo'`, `Invalid filter 'dangling=[xyz]'`,
 * `No such image: nosuch:latest` for a before/since image that does not exist.
 */
import { errors } from '../base/index.js';
import type { ImageSummary } from './engine.js';
import { parseFilters } from './container-filters.js';

const keys = ['dangling', 'label', 'before', 'since', 'reference'];

export interface ImageFilterContext {
  /** The image a `before=`/`since=` value names (NotFound otherwise). */
  findImage(ref: string): ImageSummary;
}

/**
 * The images that match every filter, each with only the names a `reference` filter matched (as
 * dockerd lists them). An image whose names all fail a reference filter is left out.
 */
export function filterImages(images: readonly ImageSummary[], filters: readonly string[], context: ImageFilterContext): ImageSummary[] {
  const parsed = parseFilters(filters);
  if (parsed.size === 0) return [...images];
  const tests: ((image: ImageSummary) => boolean)[] = [];
  let patterns: RegExp[] | undefined;
  for (const [key, values] of parsed) {
    if (!keys.includes(key)) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter '${key}'`);
    switch (key) {
      case 'dangling': {
        const bad = values.filter((v) => !['true', 'false', '1', '0'].includes(v.toLowerCase()));
        if (bad.length > 0 || new Set(values.map((v) => ['true', '1'].includes(v.toLowerCase()))).size > 1) {
          throw errors.invalidArgument('INVALID_FILTER', `Invalid filter 'dangling=[${values.join(' ')}]'`);
        }
        const dangling = ['true', '1'].includes((values[0] as string).toLowerCase());
        tests.push((i) => (i.names.length === 0) === dangling);
        break;
      }
      case 'label':
        tests.push((i) => values.some((v) => {
          const eq = v.indexOf('=');
          const labels = i.labels ?? {};
          return eq < 0 ? v in labels : labels[v.slice(0, eq)] === v.slice(eq + 1);
        }));
        break;
      case 'before':
      case 'since': {
        const marks = values.map((v) => Date.parse(context.findImage(v).created) || 0);
        tests.push((i) => {
          const created = Date.parse(i.created) || 0;
          return marks.every((m) => (key === 'before' ? created < m : created > m));
        });
        break;
      }
      case 'reference':
        patterns = values.map(goPathPattern);
        break;
    }
  }
  const out: ImageSummary[] = [];
  for (const image of images) {
    if (!tests.every((t) => t(image))) continue;
    if (patterns === undefined) {
      out.push(image);
      continue;
    }
    const names = image.names.filter((name) => patterns.some((p) => p.test(name) || p.test(repositoryOf(name))));
    const digests = (image.digests ?? []).filter((name) => patterns.some((p) => p.test(name) || p.test(repositoryOf(name))));
    if (names.length > 0 || digests.length > 0) out.push({ ...image, names, ...(image.digests ? { digests } : {}) });
  }
  return out;
}

/** `repo:tag` or `repo@digest` without its tag or digest (a registry port's colon is kept). */
function repositoryOf(name: string): string {
  const at = name.indexOf('@');
  if (at >= 0) return name.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/**
 * Go's path.Match pattern as a RegExp: `*` any run of characters but `/`, `?` one such character,
 * `[...]` a class (`^` negates), `\` escapes. A malformed pattern is InvalidArgument, as dockerd's
 * `syntax error in pattern`.
 */
export function goPathPattern(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      const next = pattern[++i];
      if (next === undefined) throw errors.invalidArgument('INVALID_FILTER', 'syntax error in pattern');
      out += escapeRegExp(next);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw errors.invalidArgument('INVALID_FILTER', 'syntax error in pattern');
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^/' : ''}${body.replace(/[\]\\]/g, (m) => `\\${m}`)}]`;
      i = end;
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
