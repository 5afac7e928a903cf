/**
 * parseDockerfile: Dockerfile text to directives, meta ARGs and stages, with the semantics of
 * BuildKit's dockerfile frontend (parser + instructions packages). Values stay unexpanded: the
 * builder expands them with `expandWord` when it runs each instruction.
 */
import { whitespaceWords } from './arguments.js';
import { parseFlags } from './flags.js';
import { parseInstruction } from './instructions.js';
import { DockerfileErrorCode as Code, located, problem } from './parse-error.js';
import { scanLines } from './scan-lines.js';
import type { RawInstruction } from './scan-lines.js';
import type { Dockerfile, MetaArg, Stage } from './types.js';

export interface ParseDockerfileOptions {
  /** The name used in locations and error messages; default "Dockerfile". */
  file?: string;
}

export interface ParsedDockerfile extends Dockerfile {
  /** Non-fatal findings (empty continuation lines), as Docker prints them. */
  warnings: string[];
}

const stageName = /^[a-z][a-z0-9-_.]*$/;

function parseFrom(raw: RawInstruction, index: number): Stage {
  const args = whitespaceWords(raw.rest);
  let name: string | undefined;
  if (args.length === 3 && (args[1] as string).toLowerCase() === 'as') {
    name = (args[2] as string).toLowerCase();
    if (!stageName.test(name)) {
      throw problem(Code.syntax, `Invalid name for build stage: "${args[2] as string}", name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) {
    throw problem(Code.syntax, 'FROM requires either one or three arguments');
  }
  const platform = parseFlags(raw.flags, { platform: 'string' }).values.get('platform');
  return {
    ...(name === undefined ? {} : { name }),
    index,
    from: { image: args[0] as string, ...(platform === undefined ? {} : { platform }) },
    instructions: [],
    location: raw.location,
    original: raw.original,
  };
}

/** Parses a Dockerfile. Throws BerthError (InvalidArgument, `BERTH_E_DOCKERFILE_*`) located as `file:line:column: `. */
export function parseDockerfile(text: string, options: ParseDockerfileOptions = {}): ParsedDockerfile {
  const file = options.file ?? 'Dockerfile';
  const scanned = scanLines(text, file);
  const { escape } = scanned.directives;
  if (scanned.instructions.length === 0) {
    throw located(problem(Code.empty, 'File with no instructions'), { file, line: Math.max(scanned.lineCount, 1), column: 1 });
  }
  const args: MetaArg[] = [];
  const stages: Stage[] = [];
  for (const raw of scanned.instructions) {
    try {
      const keyword = raw.keyword.toUpperCase();
      if (keyword === 'FROM') {
        stages.push(parseFrom(raw, stages.length));
        continue;
      }
      const current = stages[stages.length - 1];
      const instruction = parseInstruction(raw, escape);
      if (current === undefined) {
        if (instruction.kind !== 'ARG') {
          throw problem(Code.beforeFrom, `${instruction.kind} instruction before the first FROM: no build stage in current context`);
        }
        for (const a of instruction.args) args.push({ ...a, location: raw.location });
        continue;
      }
      current.instructions.push(instruction);
    } catch (err) {
      throw located(err, raw.location);
    }
  }
  if (stages.length === 0) {
    const last = scanned.instructions[scanned.instructions.length - 1] as RawInstruction;
    throw located(problem(Code.noFrom, 'Dockerfile has no FROM instruction: there is no build stage'), last.location);
  }
  return { directives: scanned.directives, args, stages, warnings: scanned.warnings };
}
