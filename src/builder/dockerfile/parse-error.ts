import { errors, isBerthError } from '../../base/index.js';

/** Error codes (after `BERTH_E_`) the Dockerfile parser throws, all of kind InvalidArgument. */
export const DockerfileErrorCode = {
  syntax: 'DOCKERFILE_SYNTAX',
  unknownInstruction: 'DOCKERFILE_UNKNOWN_INSTRUCTION',
  directive: 'DOCKERFILE_DIRECTIVE',
  empty: 'DOCKERFILE_EMPTY',
  noFrom: 'DOCKERFILE_NO_FROM',
  beforeFrom: 'DOCKERFILE_INSTRUCTION_BEFORE_FROM',
  heredoc: 'DOCKERFILE_HEREDOC',
  flag: 'DOCKERFILE_FLAG',
  mount: 'DOCKERFILE_MOUNT',
  substitution: 'DOCKERFILE_SUBSTITUTION',
} as const;

/** A parse problem not yet tied to a place in the file. */
export class ParseProblem extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  constructor(code: string, message: string, hint?: string) {
    super(message);
    this.code = code;
    this.hint = hint;
  }
}

export function problem(code: string, message: string, hint?: string): ParseProblem {
  return new ParseProblem(code, message, hint);
}

export interface Place {
  file: string;
  line: number;
  column: number;
}

/** Turns a problem (or a substitution error) into a BerthError whose message starts with file:line:column. */
export function located(err: unknown, place: Place): Error {
  const prefix = `${place.file}:${place.line}:${place.column}: `;
  if (err instanceof ParseProblem) {
    const message = err.hint === undefined ? err.message : `${err.message} (${err.hint})`;
    return errors.invalidArgument(err.code, prefix + message, err.hint === undefined ? {} : { hint: err.hint });
  }
  if (isBerthError(err) && err.code.startsWith('BERTH_E_DOCKERFILE_')) {
    return errors.invalidArgument(err.code.slice('BERTH_E_'.length), prefix + err.message, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
