/**
 * `exec`: a process in a running container, run by the OCI runtime's `exec` with the container's
 * own process settings (namespaces, capabilities, seccomp, no-new-privileges, rlimits), the
 * command, user, environment and working directory replaced as asked.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { errors, randomHex } from '../base/index.js';
import type { ContainerRecord } from '../core/containers/index.js';
import { mergeEnv, supervisorAlive } from '../core/containers/index.js';
import type { Stdio, StreamedProcess } from '../core/runtime/index.js';
import { resolveUser } from '../core/spec/index.js';
import type { Process, Spec } from '../oci/index.js';
import type { ContainerExecOptions } from '../api/index.js';
import { containerDir } from './container-lifecycle.js';
import type { EngineContext } from './engine-context.js';
import { hostCapabilities } from './host-capabilities.js';
import { readUserDatabase } from './process-files.js';

export async function execInContainer(ctx: EngineContext, record: ContainerRecord, options: ContainerExecOptions, stdio: Stdio): Promise<number> {
  const file = writeExecProcess(ctx, record, options);
  try {
    const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
    const code = await driver.exec(record.id, file, { stdio, detach: options.detach === true, tty: options.tty === true });
    return options.detach ? 0 : code;
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * An exec whose stdio are streams (the daemon relays them): resolves once the process runs; its
 * `exit` gives the exit code. The process file goes once the process has ended.
 */
export async function execStreamsInContainer(ctx: EngineContext, record: ContainerRecord, options: ContainerExecOptions): Promise<StreamedProcess> {
  const file = writeExecProcess(ctx, record, options);
  try {
    const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
    const started = await driver.execStreams(record.id, file, { tty: options.tty === true, stdin: options.interactive === true, ...(options.size ? { size: options.size } : {}) });
    void started.exit.catch(() => undefined).finally(() => rmSync(file, { force: true }));
    const release = started.release?.bind(started);
    // The runtime read the process file when it started the process: it can go with the client.
    if (release) started.release = () => {
      release();
      rmSync(file, { force: true });
    };
    return started;
  } catch (err) {
    rmSync(file, { force: true });
    throw err;
  }
}

/** Checks that the container can take an exec and writes the exec's OCI process file; returns its path. */
function writeExecProcess(ctx: EngineContext, record: ContainerRecord, options: ContainerExecOptions): string {
  if (record.state.status === 'paused') {
    throw errors.failedPrecondition('CONTAINER_PAUSED', `Container ${record.id} is paused, unpause the container before exec`);
  }
  if (record.state.status !== 'running' || !supervisorAlive(record)) {
    throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Container ${record.id} is not running`);
  }
  if (options.cmd.length === 0) throw errors.invalidArgument('NO_COMMAND', 'No exec command specified');
  const dir = containerDir(ctx, record.id);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Spec;
  const base = spec.process as Process;
  const process: Process = {
    ...base,
    terminal: options.tty === true,
    args: options.cmd,
    env: mergeEnv(base.env ?? [], options.env ?? []),
    cwd: options.workingDir || base.cwd,
  };
  delete process.consoleSize;
  if (options.tty && options.size && options.size.rows > 0 && options.size.cols > 0) process.consoleSize = { height: options.size.rows, width: options.size.cols };
  if (options.user) {
    const user = resolveUser(options.user, readUserDatabase(join(dir, 'rootfs')));
    process.user = { uid: user.uid, gid: user.gid, ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}) };
  }
  if (options.privileged) {
    const all = hostCapabilities();
    process.capabilities = { bounding: all, effective: all, permitted: all };
  }
  const file = join(dir, `exec-${randomHex(6)}.json`);
  writeFileSync(file, JSON.stringify(process));
  return file;
}

/** The end of a fast-path exec (see the Engine's execOutcome); only the runtime's own exec logs are read and removed. */
export async function execOutcome(ctx: EngineContext, record: ContainerRecord, logFile: string, code: number): Promise<number> {
  const { driver } = ctx.runtime(record.hostConfig.runtime || undefined);
  const name = basename(logFile);
  if (dirname(logFile) !== driver.logDir || !name.startsWith(`${record.id}.exec-`) || !name.endsWith('.json')) {
    throw errors.invalidArgument('EXEC_LOG', `${logFile} is not an exec log of container ${record.id}`);
  }
  if (!Number.isInteger(code) || code < 0 || code > 255) throw errors.invalidArgument('EXEC_CODE', `bad exit code ${code}`);
  try {
    return await driver.execOutcome(record.id, logFile, code);
  } finally {
    rmSync(logFile, { force: true });
  }
}
