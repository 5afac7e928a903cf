import type { Readable, Writable } from 'node:stream';

import type { Operation } from '../base/index.js';
import type { Engine } from '../api/index.js';
import type { FlagSpecs, Parsed } from './args.js';

/** What a command gets: the engine (opened on first use) and the process's streams. */
export interface CliContext {
  engine(): Engine;
  /**
   * A new engine operation for this command, its warnings printed as they come, cancelled by
   * `signal`; the CLI ends it when the command returns.
   */
  operation(signal?: AbortSignal): Operation;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** Global settings (`--root`), for messages. */
  root: string;
  /** The engine is a daemon's (`--host`/BERTH_HOST), not this process's own. */
  remote?: boolean;
  /** berth's version (`berth version`). */
  version?: string;
}

export interface Command {
  name: string;
  usage: string;
  description: string;
  flags: FlagSpecs;
  /** `run IMAGE CMD...`: flags end at the first positional. */
  stopAtPositional?: boolean;
  /** Exit code Docker uses for an engine error in this command (125 for run, 1 elsewhere). */
  errorExitCode?: number;
  run(ctx: CliContext, args: Parsed): Promise<number>;
}
