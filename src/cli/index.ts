export { runCli } from './main.js';
export type { CliOptions } from './main.js';
export type { Command } from './command.js';
export { commands, hiddenCommands, managementCommands } from './registry.js';
