/**
 * `--change` (docker import/commit): Dockerfile instructions applied to an image config with the
 * builder's own parser and instruction semantics, as Docker's BuildFromConfig does, so that
 * `EXPOSE 8000-8002`, `ENV A=$B` or a shell-form CMD mean what they mean in a Dockerfile.
 */
import { errors } from '../base/index.js';
import type { ImageRuntimeConfig } from '../oci/index.js';
import { parseInstruction, scanLines } from './dockerfile/index.js';
import type { ScanResult } from './dockerfile/index.js';
import type { ArgScope, StageState } from './stage-state.js';
import { applyConfigInstruction, resolveWorkdir } from './stage-state.js';

/** The instructions Docker accepts in `--change` (moby's validCommitCommands); others are refused. */
export const CHANGE_INSTRUCTIONS: readonly string[] = [
  'CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
];

/**
 * Returns `config` with `changes` applied in order (the input is not modified). Throws
 * InvalidArgument `BERTH_E_INVALID_CHANGE` naming the change for an instruction `--change`
 * does not take or one that does not parse; nothing is applied then.
 */
export function applyConfigChanges(config: ImageRuntimeConfig, changes: readonly string[]): ImageRuntimeConfig {
  if (changes.length === 0) return config;
  // Docker parses the changes joined by newlines as one Dockerfile, then runs each instruction.
  let scanned: ScanResult;
  try {
    scanned = scanLines(changes.join('\n'), '--change');
  } catch (err) {
    throw invalid(changes.join('\n'), err);
  }
  for (const raw of scanned.instructions) {
    const keyword = raw.keyword.toUpperCase();
    if (!CHANGE_INSTRUCTIONS.includes(keyword)) {
      throw errors.invalidArgument('INVALID_CHANGE', `Invalid --change "${raw.original}": ${keyword} is not one of ${CHANGE_INSTRUCTIONS.join(', ')}`);
    }
    // A Dockerfile takes a bare CMD or ENTRYPOINT (a shell with no script); as a --change it is
    // far likelier a mistake, so it is refused like the instructions the parser refuses bare.
    if (raw.rest === '' && raw.heredocs.length === 0) {
      throw errors.invalidArgument('INVALID_CHANGE', `Invalid --change "${raw.original}": ${keyword} requires at least one argument`);
    }
  }
  // The state of a stage with no layers: only its config is used.
  const state: StageState = {
    config: structuredClone(config), architecture: '', os: '', layers: [], diffIds: [], history: [],
    args: new Map(), cmdSet: false, key: '', escape: scanned.directives.escape,
  };
  const scope: ArgScope = { buildArgs: {}, meta: new Map(), automatic: {} };
  for (const raw of scanned.instructions) {
    try {
      const ins = parseInstruction(raw, state.escape);
      // WORKDIR is a layer step in a build (it creates the directory); here only the config changes.
      if (ins.kind === 'WORKDIR') state.config.WorkingDir = resolveWorkdir(state, ins.path);
      else applyConfigInstruction(state, ins, scope);
    } catch (err) {
      throw invalid(raw.original, err);
    }
  }
  return state.config;
}

function invalid(change: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message : 'it does not parse';
  return errors.invalidArgument('INVALID_CHANGE', `Invalid --change "${change}": ${reason}`, { cause: err });
}
