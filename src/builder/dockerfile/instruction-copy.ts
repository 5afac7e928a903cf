/** COPY and ADD. */
import { maybeJsonList } from './arguments.js';
import { optional, parseFlags } from './flags.js';
import { chompHeredoc, parseHeredocWord } from './heredoc.js';
import { DockerfileErrorCode as Code, problem } from './parse-error.js';
import type { RawInstruction } from './scan-lines.js';
import type { AddInstruction, CopyInstruction, CopySource, Heredoc } from './types.js';

function sourcesAndDest(raw: RawInstruction, keyword: 'COPY' | 'ADD'): { sources: CopySource[]; dest: string; json: boolean } {
  const { args, json } = maybeJsonList(raw.rest);
  if (args.length < 2) {
    throw problem(Code.syntax, `${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const dest = args[args.length - 1] as string;
  if (parseHeredocWord(dest)) throw problem(Code.heredoc, `${keyword} cannot accept a heredoc as a destination`);
  const byName = new Map<string, Heredoc>(raw.heredocs.map((h) => [h.name, h]));
  const sources = args.slice(0, -1).map((src): CopySource => {
    const doc = parseHeredocWord(src);
    if (!doc) return { kind: 'path', path: src };
    let content = byName.get(doc.name)?.content ?? '';
    if (doc.chomp) content = chompHeredoc(content);
    return { kind: 'heredoc', name: doc.name, content, expand: doc.expand };
  });
  return { sources, dest, json };
}

function base(raw: RawInstruction) {
  return { location: raw.location, original: raw.original, flags: raw.flags, heredocs: raw.heredocs };
}

export function parseCopy(raw: RawInstruction): CopyInstruction {
  const f = parseFlags(raw.flags, {
    chown: 'string', from: 'string', chmod: 'string', link: 'bool', exclude: 'strings', parents: 'bool',
  });
  return {
    kind: 'COPY',
    ...base(raw),
    ...sourcesAndDest(raw, 'COPY'),
    ...optional('from', f.values.get('from')),
    ...optional('chown', f.values.get('chown')),
    ...optional('chmod', f.values.get('chmod')),
    link: f.values.get('link') === 'true',
    parents: f.values.get('parents') === 'true',
    exclude: f.lists.get('exclude') ?? [],
  };
}

export function parseAdd(raw: RawInstruction): AddInstruction {
  const f = parseFlags(raw.flags, {
    chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string',
    unpack: 'bool', exclude: 'strings',
  });
  const keep = f.values.get('keep-git-dir');
  const unpack = f.values.get('unpack');
  return {
    kind: 'ADD',
    ...base(raw),
    ...sourcesAndDest(raw, 'ADD'),
    ...optional('chown', f.values.get('chown')),
    ...optional('chmod', f.values.get('chmod')),
    ...optional('checksum', f.values.get('checksum')),
    ...(keep === undefined ? {} : { keepGitDir: keep === 'true' }),
    ...(unpack === undefined ? {} : { unpack: unpack === 'true' }),
    link: f.values.get('link') === 'true',
    exclude: f.lists.get('exclude') ?? [],
  };
}
