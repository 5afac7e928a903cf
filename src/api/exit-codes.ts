/**
 * Docker's exit-code rules for a command that runs a container (`docker run`, `start -a`): the
 * container's own status when it ran, else 127 when the command does not exist, 126 when it cannot
 * be executed, and 125 for every other failure of the engine.
 */
export function exitCodeFor(err: unknown): number {
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'BERTH_E_COMMAND_NOT_FOUND') return 127;
  if (code === 'BERTH_E_COMMAND_NOT_EXECUTABLE') return 126;
  return 125;
}
