import type { Command } from './command.js';
import { runCommand } from './commands/run.js';

/**
 * Every berth command, by name. Commands load on first use, so a command parses only its own
 * code; `run` is the hot path and is part of the CLI's main chunk.
 */
export const commands: Record<string, () => Promise<Command>> = {
  run: async () => runCommand,
  build: async () => (await import('./commands/build.js')).buildCommand,
  image: async () => (await import('./commands/image.js')).imageCommand,
  import: async () => (await import('./commands/import.js')).importCommand,
  images: async () => (await import('./commands/images.js')).imagesCommand,
  rmi: async () => (await import('./commands/images.js')).rmiCommand,
  ps: async () => (await import('./commands/containers.js')).psCommand,
  rm: async () => (await import('./commands/containers.js')).rmCommand,
  inspect: async () => (await import('./commands/containers.js')).inspectCommand,
  system: async () => (await import('./commands/system.js')).systemCommand,
};
