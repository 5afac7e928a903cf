export { parseDockerfile } from './parse-dockerfile.js';
export type { ParseDockerfileOptions, ParsedDockerfile } from './parse-dockerfile.js';
export type * from './types.js';
export {
  expandWord, expandWords, referencedEnvNames, expandsVariables, EXPANSION_INSTRUCTIONS,
} from './expand.js';
export type { ExpandOptions } from './expand.js';
export { ShellLexer } from './shell-lexer.js';
export type { EnvSource, LexerOptions, ProcessResult } from './shell-lexer.js';
export { parseRunMount, parseCsvFields } from './run-mount.js';
export type { ParseMountOptions } from './run-mount.js';
export { heredocText, chompHeredoc, parseHeredocWord } from './heredoc.js';
export { parseGoDuration, parseRamInBytes } from './units.js';
export { parseExposePort } from './expose-port.js';
export type { ExposePort } from './expose-port.js';
export { INSTRUCTION_KEYWORDS, parseInstruction } from './instructions.js';
export { scanLines } from './scan-lines.js';
export type { RawInstruction, ScanResult } from './scan-lines.js';
export { DockerfileErrorCode } from './parse-error.js';
