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
  container: async () => (await import('./commands/container.js')).containerCommand,
  import: async () => (await import('./commands/import.js')).importCommand,
  pull: async () => (await import('./commands/pull.js')).pullCommand,
  push: async () => (await import('./commands/push.js')).pushCommand,
  login: async () => (await import('./commands/login.js')).loginCommand,
  logout: async () => (await import('./commands/login.js')).logoutCommand,
  history: async () => (await import('./commands/history.js')).historyCommand,
  tag: async () => (await import('./commands/tag.js')).tagCommand,
  save: async () => (await import('./commands/save.js')).saveCommand,
  load: async () => (await import('./commands/load.js')).loadCommand,
  images: async () => (await import('./commands/images.js')).imagesCommand,
  rmi: async () => (await import('./commands/images.js')).rmiCommand,
  ps: async () => (await import('./commands/containers.js')).psCommand,
  rm: async () => (await import('./commands/containers.js')).rmCommand,
  inspect: async () => (await import('./commands/containers.js')).inspectCommand,
  system: async () => (await import('./commands/system.js')).systemCommand,
  create: async () => (await import('./commands/lifecycle.js')).createCommand,
  start: async () => (await import('./commands/lifecycle.js')).startCommand,
  stop: async () => (await import('./commands/lifecycle.js')).stopCommand,
  restart: async () => (await import('./commands/lifecycle.js')).restartCommand,
  kill: async () => (await import('./commands/lifecycle.js')).killCommand,
  wait: async () => (await import('./commands/lifecycle.js')).waitCommand,
  attach: async () => (await import('./commands/lifecycle.js')).attachCommand,
  logs: async () => (await import('./commands/logs.js')).logsCommand,
  exec: async () => (await import('./commands/exec.js')).execCommand,
  cp: async () => (await import('./commands/cp.js')).cpCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  export: async () => (await import('./commands/export.js')).exportCommand,
  commit: async () => (await import('./commands/commit.js')).commitCommand,
  volume: async () => (await import('./commands/volume.js')).volumeCommand,
  pause: async () => (await import('./commands/pause.js')).pauseCommand,
  unpause: async () => (await import('./commands/pause.js')).unpauseCommand,
  rename: async () => (await import('./commands/rename.js')).renameCommand,
  update: async () => (await import('./commands/update.js')).updateCommand,
  top: async () => (await import('./commands/top.js')).topCommand,
  stats: async () => (await import('./commands/stats.js')).statsCommand,
  network: async () => (await import('./commands/network.js')).networkCommand,
  port: async () => (await import('./commands/port.js')).portCommand,
  events: async () => (await import('./commands/events.js')).eventsCommand,
  version: async () => (await import('./commands/version.js')).versionCommand,
  info: async () => (await import('./commands/version.js')).infoCommand,
  completion: async () => (await import('./commands/completion.js')).completionCommand,
  builder: async () => (await import('./commands/builder.js')).builderCommand,
  search: async () => (await import('./commands/refused.js')).searchCommand,
  ...Object.fromEntries(['swarm', 'node', 'service', 'stack', 'secret', 'config'].map((name) => [name, async () => (await import('./commands/refused.js')).swarmCommands[name] as Command])),
};

/** Commands only berth itself runs (a monitor's exit command); not listed in help. */
export const hiddenCommands: Record<string, () => Promise<Command>> = {
  'container cleanup': async () => (await import('./commands/lifecycle.js')).cleanupCommand,
  'container exec-report': async () => (await import('./commands/exec.js')).execReportCommand,
  'image prune': async () => (await import('./commands/image-prune.js')).imagePruneCommand,
  'image diff': async () => (await import('./commands/image-diff.js')).imageDiffCommand,
  'container healthcheck': async () => (await import('./commands/healthcheck.js')).healthcheckCommand,
  'system df': async () => (await import('./commands/system-df.js')).systemDfCommand,
  'system prune': async () => (await import('./commands/system-prune.js')).systemPruneCommand,
};

/**
 * Docker's management commands (`docker container ls`, `docker image rm`) as the top-level
 * commands they name, with the flags they imply: `berth container ls` is `berth ps`.
 */
export const managementCommands: Record<string, Record<string, readonly string[]>> = {
  container: {
    ls: ['ps'], list: ['ps'], ps: ['ps'], run: ['run'], rm: ['rm'], remove: ['rm'], inspect: ['inspect', '--type', 'container'],
    create: ['create'], start: ['start'], stop: ['stop'], restart: ['restart'], kill: ['kill'], wait: ['wait'], attach: ['attach'],
    logs: ['logs'], exec: ['exec'], cleanup: ['container cleanup'], healthcheck: ['container healthcheck'], 'exec-report': ['container exec-report'],
    cp: ['cp'], diff: ['diff'], export: ['export'], commit: ['commit'], port: ['port'],
    // `prune` has no top-level command: the container command runs it (commands/container.ts).
    pause: ['pause'], unpause: ['unpause'], rename: ['rename'], update: ['update'], top: ['top'], stats: ['stats'],
  },
  image: {
    ls: ['images'], list: ['images'], rm: ['rmi'], remove: ['rmi'], inspect: ['inspect', '--type', 'image'], import: ['import'], build: ['build'], save: ['save'], load: ['load'], tag: ['tag'], pull: ['pull'], push: ['push'], history: ['history'], prune: ['image prune'], diff: ['image diff'],
  },
  // check and boot are the system command's own (commands/system.ts).
  system: { df: ['system df'], prune: ['system prune'], events: ['events'], info: ['info'] },
};
