/** The parsed form of a Dockerfile. Argument values are as written (unexpanded) unless noted. */

export interface SourceLocation {
  file: string;
  /** 1-based line where the instruction starts. */
  line: number;
  /** 1-based column of the instruction keyword on that line. */
  column: number;
  /** 1-based line where the instruction (including continuations and heredocs) ends. */
  endLine: number;
}

export interface ParserDirectives {
  syntax?: string;
  escape: '\\' | '`';
  check?: string;
}

/** A heredoc attached to RUN, COPY or ADD. */
export interface Heredoc {
  /** The terminator word, e.g. `EOF` (also the file name for COPY `<<a.txt`). */
  name: string;
  /** The body exactly as written, every line ending in "\n", terminator excluded. */
  content: string;
  /** `<<-`: leading tabs are stripped from body lines (see `heredocText`). */
  chomp: boolean;
  /** False when the terminator was quoted (`<<"EOF"`, `<<'EOF'`): no variable expansion. */
  expand: boolean;
  /** The file descriptor before `<<` (`3<<EOF`), 0 when absent. */
  fileDescriptor: number;
}

/** A command in exec form (JSON array) or shell form (one string, run by the SHELL). */
export type CommandLine =
  | { form: 'exec'; args: string[] }
  | { form: 'shell'; script: string };

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

/** One `RUN --mount=...`, as BuildKit reads it. Values are unexpanded. */
export interface RunMount {
  type: MountType;
  /** The flag value as written, for re-parsing after variable expansion. */
  raw: string;
  from?: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  /** tmpfs `size=` in bytes. */
  sizeLimit?: number;
  /** cache `id=` or secret/ssh `id=`. */
  id?: string;
  sharing?: CacheSharing;
  required: boolean;
  /** secret `env=`: expose the secret as this environment variable. */
  env?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export type RunNetwork = 'default' | 'none' | 'host';
export type RunSecurity = 'sandbox' | 'insecure';

interface Base {
  location: SourceLocation;
  /** The instruction as written with continuations joined (heredoc bodies excluded). */
  original: string;
  /** The `--flag[=value]` words as written. */
  flags: string[];
}

export interface RunInstruction extends Base {
  kind: 'RUN';
  command: CommandLine;
  heredocs: Heredoc[];
  mounts: RunMount[];
  network: RunNetwork;
  security: RunSecurity;
}

export interface CmdInstruction extends Base {
  kind: 'CMD';
  command: CommandLine;
}

export interface EntrypointInstruction extends Base {
  kind: 'ENTRYPOINT';
  command: CommandLine;
}

export interface ShellInstruction extends Base {
  kind: 'SHELL';
  shell: string[];
}

export interface KeyValue {
  key: string;
  /** As written; quotes are removed by expansion (`expandWord`). */
  value: string;
  /** Written in the legacy `KEY value` form. */
  legacy: boolean;
}

export interface EnvInstruction extends Base {
  kind: 'ENV';
  pairs: KeyValue[];
}

export interface LabelInstruction extends Base {
  kind: 'LABEL';
  pairs: KeyValue[];
}

export interface ArgDefinition {
  name: string;
  /** Absent when declared without `=`. */
  default?: string;
}

export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: ArgDefinition[];
}

export interface WorkdirInstruction extends Base {
  kind: 'WORKDIR';
  path: string;
}

export interface UserInstruction extends Base {
  kind: 'USER';
  user: string;
}

export interface StopSignalInstruction extends Base {
  kind: 'STOPSIGNAL';
  signal: string;
}

export interface MaintainerInstruction extends Base {
  kind: 'MAINTAINER';
  maintainer: string;
}

export interface ExposeInstruction extends Base {
  kind: 'EXPOSE';
  /** Port specs as written (`80`, `53/udp`, `$PORT`), sorted as Docker sorts them. */
  ports: string[];
}

export interface VolumeInstruction extends Base {
  kind: 'VOLUME';
  volumes: string[];
}

/** A COPY/ADD source: a context (or stage, or URL) path, or an inline heredoc file. */
export type CopySource =
  | { kind: 'path'; path: string }
  | { kind: 'heredoc'; name: string; content: string; expand: boolean };

interface CopyBase extends Base {
  /** Sources in the order written. `content` of heredoc sources has tabs already stripped for `<<-`. */
  sources: CopySource[];
  dest: string;
  /** Written as a JSON array. */
  json: boolean;
  chown?: string;
  chmod?: string;
  link: boolean;
  exclude: string[];
  heredocs: Heredoc[];
}

export interface CopyInstruction extends CopyBase {
  kind: 'COPY';
  from?: string;
  parents: boolean;
}

export interface AddInstruction extends CopyBase {
  kind: 'ADD';
  checksum?: string;
  /** Set only when --keep-git-dir was given. */
  keepGitDir?: boolean;
  /** Set only when --unpack was given. */
  unpack?: boolean;
}

/** Docker's image-config Healthcheck; durations in nanoseconds, 0 meaning "inherit/default". */
export interface HealthcheckConfig {
  /** `["NONE"]`, `["CMD", ...args]` or `["CMD-SHELL", script]`. */
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  health: HealthcheckConfig;
}

export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  /** The trigger text as stored in the image config (ONBUILD keyword removed, heredocs appended). */
  expression: string;
  /** The trigger parsed, for validation and inspection. */
  trigger: Instruction;
}

export type Instruction =
  | RunInstruction | CmdInstruction | EntrypointInstruction | ShellInstruction
  | EnvInstruction | LabelInstruction | ArgInstruction | WorkdirInstruction | UserInstruction
  | StopSignalInstruction | MaintainerInstruction | ExposeInstruction | VolumeInstruction
  | CopyInstruction | AddInstruction | HealthcheckInstruction | OnbuildInstruction;

export type InstructionKind = Instruction['kind'];

/** An ARG declared before the first FROM (usable in FROM lines). */
export interface MetaArg extends ArgDefinition {
  location: SourceLocation;
}

export interface Stage {
  /** The `AS` name, lowercased; absent for unnamed stages. */
  name?: string;
  index: number;
  from: { image: string; platform?: string };
  instructions: Instruction[];
  location: SourceLocation;
  original: string;
}

export interface Dockerfile {
  directives: ParserDirectives;
  args: MetaArg[];
  stages: Stage[];
}
