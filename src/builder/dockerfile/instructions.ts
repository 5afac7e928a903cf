/** Turns a scanned instruction into its typed form (BuildKit's instructions.Parse rules). */
import { maybeJson, maybeJsonList, parseNameValues, parseWords, whitespaceWords } from './arguments.js';
import { parseAdd, parseCopy } from './instruction-copy.js';
import { parseHealthcheck } from './instruction-healthcheck.js';
import { parseFlags } from './flags.js';
import { DockerfileErrorCode as Code, problem } from './parse-error.js';
import { parseRunMount } from './run-mount.js';
import { splitCommand } from './scan-lines.js';
import { suggest, trimGoSpace } from './text.js';
import type { RawInstruction } from './scan-lines.js';
import type { ArgDefinition, CommandLine, Instruction, RunInstruction, RunNetwork, RunSecurity } from './types.js';

/** Every instruction keyword Docker knows (FROM included). */
export const INSTRUCTION_KEYWORDS: readonly string[] = Object.freeze([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER',
  'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);

export function unknownInstruction(keyword: string): Error {
  const close = suggest(keyword, INSTRUCTION_KEYWORDS, false);
  const hint = close === undefined ? undefined : `did you mean ${matchCase(close, keyword)}?`;
  return problem(Code.unknownInstruction, `unknown instruction "${keyword}"`, hint);
}

function matchCase(option: string, original: string): string {
  if (original === original.toLowerCase()) return option.toLowerCase();
  return option.toUpperCase();
}

function commandLine(json: boolean, args: string[]): CommandLine {
  return json ? { form: 'exec', args } : { form: 'shell', script: args.join(' ') };
}

const base = (raw: RawInstruction) => ({ location: raw.location, original: raw.original, flags: raw.flags });

function exactlyOne(raw: RawInstruction, keyword: string): string {
  if (raw.rest === '') throw problem(Code.syntax, `${keyword} requires exactly one argument`);
  return raw.rest;
}

function parseRun(raw: RawInstruction): RunInstruction {
  const f = parseFlags(raw.flags, { mount: 'strings', network: 'string', security: 'string' });
  const network = f.values.get('network') ?? 'default';
  if (!['default', 'none', 'host'].includes(network)) throw problem(Code.flag, `Invalid network mode "${network}"`);
  const security = f.values.get('security') ?? 'sandbox';
  if (!['sandbox', 'insecure'].includes(security)) throw problem(Code.flag, `Security "${security}" is not valid`);
  const { args, json } = maybeJson(raw.rest);
  if (args.length === 0 && !json) throw problem(Code.syntax, 'RUN requires at least one argument');
  return {
    kind: 'RUN',
    ...base(raw),
    command: commandLine(json, args),
    heredocs: raw.heredocs,
    mounts: (f.lists.get('mount') ?? []).map((m) => parseRunMount(m)),
    network: network as RunNetwork,
    security: security as RunSecurity,
  };
}

function parseArgs(raw: RawInstruction, escape: string): ArgDefinition[] {
  const words = parseWords(raw.rest, escape);
  if (words.length === 0) throw problem(Code.syntax, 'ARG requires at least one argument');
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq === 0) throw problem(Code.syntax, 'ARG names can not be blank');
    return eq < 0 ? { name: word } : { name: word.slice(0, eq), default: word.slice(eq + 1) };
  });
}

function parseKeyValues(raw: RawInstruction, keyword: 'ENV' | 'LABEL', escape: string) {
  parseFlags(raw.flags, {});
  const pairs = parseNameValues(raw.rest, keyword, escape);
  if (pairs.length === 0) throw problem(Code.syntax, `${keyword} requires at least one argument`);
  if (pairs.some((p) => p.key === '')) throw problem(Code.syntax, `${keyword} names can not be blank`);
  return pairs;
}

function parseOnbuild(raw: RawInstruction, escape: string): Instruction {
  if (raw.rest === '') throw problem(Code.syntax, 'ONBUILD requires at least one argument');
  parseFlags(raw.flags, {});
  const inner = splitCommand(raw.rest, escape);
  const trigger = inner.keyword.toUpperCase();
  if (trigger === 'ONBUILD') throw problem(Code.syntax, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  if (trigger === 'MAINTAINER' || trigger === 'FROM') throw problem(Code.syntax, `${trigger} isn't allowed as an ONBUILD trigger`);
  const innerRaw: RawInstruction = { ...raw, ...inner, original: raw.rest };
  let expression = raw.original.replace(/^\s*ONBUILD\s*/i, '');
  for (const doc of raw.heredocs) expression += `\n${doc.content}${doc.name}`;
  return { kind: 'ONBUILD', ...base(raw), expression, trigger: parseInstruction(innerRaw, escape) };
}

/** Parses every instruction except FROM (which starts a stage). */
export function parseInstruction(raw: RawInstruction, escape: string): Instruction {
  const keyword = raw.keyword.toUpperCase();
  switch (keyword) {
    case 'RUN':
      return parseRun(raw);
    case 'CMD':
    case 'ENTRYPOINT': {
      parseFlags(raw.flags, {});
      const { args, json } = maybeJson(raw.rest);
      return { kind: keyword, ...base(raw), command: commandLine(json, args) };
    }
    case 'SHELL': {
      parseFlags(raw.flags, {});
      const { args, json } = maybeJson(raw.rest);
      if (args.length === 0) throw problem(Code.syntax, 'SHELL requires at least one argument');
      if (!json) throw problem(Code.syntax, `SHELL requires the arguments to be in JSON form`);
      return { kind: 'SHELL', ...base(raw), shell: args };
    }
    case 'ENV':
    case 'LABEL':
      return { kind: keyword, ...base(raw), pairs: parseKeyValues(raw, keyword, escape) };
    case 'ARG':
      parseFlags(raw.flags, {});
      return { kind: 'ARG', ...base(raw), args: parseArgs(raw, escape) };
    case 'WORKDIR': {
      const path = exactlyOne(raw, keyword);
      parseFlags(raw.flags, {});
      return { kind: 'WORKDIR', ...base(raw), path };
    }
    case 'USER': {
      const user = exactlyOne(raw, keyword);
      parseFlags(raw.flags, {});
      return { kind: 'USER', ...base(raw), user };
    }
    case 'MAINTAINER': {
      const maintainer = exactlyOne(raw, keyword);
      parseFlags(raw.flags, {});
      return { kind: 'MAINTAINER', ...base(raw), maintainer };
    }
    case 'STOPSIGNAL':
      // BuildKit does not check STOPSIGNAL's flags.
      return { kind: 'STOPSIGNAL', ...base(raw), signal: exactlyOne(raw, keyword) };
    case 'EXPOSE': {
      const ports = whitespaceWords(raw.rest);
      if (ports.length === 0) throw problem(Code.syntax, 'EXPOSE requires at least one argument');
      parseFlags(raw.flags, {});
      return { kind: 'EXPOSE', ...base(raw), ports: [...ports].sort() };
    }
    case 'VOLUME': {
      const { args } = maybeJsonList(raw.rest);
      if (args.length === 0) throw problem(Code.syntax, 'VOLUME requires at least one argument');
      parseFlags(raw.flags, {});
      const volumes = args.map((v) => trimGoSpace(v));
      if (volumes.includes('')) throw problem(Code.syntax, 'VOLUME specified can not be an empty string');
      return { kind: 'VOLUME', ...base(raw), volumes };
    }
    case 'COPY':
      return parseCopy(raw);
    case 'ADD':
      return parseAdd(raw);
    case 'HEALTHCHECK':
      return parseHealthcheck(raw);
    case 'ONBUILD':
      return parseOnbuild(raw, escape);
    default:
      throw unknownInstruction(raw.keyword);
  }
}
