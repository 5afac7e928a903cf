/**
 * Docker commands berth does not have, answered with why instead of "unknown command": `search`
 * (registries serve no search API; Docker Hub's is its own, as the daemon's `/images/search`
 * says) and swarm mode's (berth is a single-host engine, as the daemon's `/swarm` routes say).
 */
import { errors } from '../../base/index.js';
import type { FlagSpecs } from '../args.js';
import type { Command } from '../command.js';

function refused(name: string, usage: string, description: string, why: () => Error, flags: FlagSpecs = {}): Command {
  return {
    name, usage, description: `${description} (not supported by berth)`, flags,
    // Any flag or argument: the answer is the same.
    stopAtPositional: true,
    run: () => Promise.reject(why()),
  };
}

export const searchCommand = refused('search', 'search [OPTIONS] TERM', 'Search Docker Hub for images', () =>
  errors.notImplemented('SEARCH_UNSUPPORTED', 'Searching a registry is not supported by berth: registries serve no search API (Docker Hub\'s is its own); look the image up on the registry\'s site'), {
  // docker's flags, so that a command line written for it gets this answer, not "unknown flag".
  filter: { kind: 'list', short: 'f', description: 'Filter output based on conditions provided', value: 'filter' },
  format: { kind: 'string', description: 'Pretty-print search using a Go template', value: 'string' },
  limit: { kind: 'string', description: 'Max number of search results', value: 'int' },
  'no-trunc': { kind: 'bool', description: "Don't truncate output" },
});

/** `swarm`, `node`, `service`, `stack`, `secret`, `config`: dockerd's answer on a node that is not in a swarm. */
export const swarmCommands = Object.fromEntries(['swarm', 'node', 'service', 'stack', 'secret', 'config'].map((name) => [name, refused(name, `${name} COMMAND`, `Manage swarm ${name === 'swarm' ? 'mode' : `${name}s`}`, () =>
  errors.failedPrecondition('SWARM_UNSUPPORTED', 'This node is not a swarm manager: berth is a single-host engine and has no swarm mode'))]));
