/**
 * Exec endpoints: `POST /containers/{id}/exec` (201 {Id}), `POST /exec/{id}/start` (hijacked with
 * an Upgrade: 101 and the stream; `Detach: true`: 200 at once), `POST /exec/{id}/resize` (held
 * until the process runs, as dockerd holds it) and `GET /exec/{id}/json`.
 */
import type { Duplex } from 'node:stream';

import { errors, warmCgroupMigration } from '../../base/index.js';
import type { ApiCall } from '../api-call.js';
import type { Router } from '../router.js';
import { runState } from '../container-runs.js';
import { execInspectView, runExec, type ExecConfig } from '../exec-sessions.js';
import { parseDetachKeys } from '../stream-frames.js';

export function addExecRoutes(router: Router): void {
  router.add('POST', '/containers/{id}/exec', createExec);
  router.add('POST', '/exec/{id}/start', startExec, { hijack: true });
  router.add('POST', '/exec/{id}/resize', resizeExec);
  router.add('GET', '/exec/{id}/json', inspectExec);
}

type Json = Record<string, unknown>;

function field<T>(body: Json, key: string, type: 'string' | 'boolean', fallback: T): T {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== type) throw errors.invalidArgument('INVALID_EXEC_BODY', `${key} must be ${type === 'string' ? 'a string' : 'true or false'}`);
  return v as T;
}

function stringList(body: Json, key: string): string[] {
  const v = body[key];
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw errors.invalidArgument('INVALID_EXEC_BODY', `${key} must be a list of strings`);
  return v as string[];
}

function consoleSize(body: Json): [number, number] | undefined {
  const v = body.ConsoleSize;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || v.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
    throw errors.invalidArgument('INVALID_EXEC_BODY', 'ConsoleSize must be [height, width]');
  }
  return [v[0] as number, v[1] as number];
}

async function createExec(call: ApiCall): Promise<void> {
  const body = await call.json<Json>({});
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw errors.invalidArgument('INVALID_EXEC_BODY', 'the body must be a JSON object');
  const c = await call.engine.containers.inspect(call.params.id!);
  if (c.state.status === 'paused') throw errors.failedPrecondition('CONTAINER_PAUSED', `Container ${c.id} is paused, unpause the container before exec`);
  if (c.state.status !== 'running') throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Container ${c.id} is not running`);
  const cmd = stringList(body, 'Cmd');
  if (cmd.length === 0) throw errors.invalidArgument('NO_EXEC_COMMAND', 'No exec command specified');
  const detachKeys = field<string>(body, 'DetachKeys', 'string', '');
  if (detachKeys !== '') parseDetachKeys(detachKeys);
  const workingDir = field<string>(body, 'WorkingDir', 'string', '');
  if (workingDir !== '' && !workingDir.startsWith('/')) throw errors.invalidArgument('INVALID_WORKDIR', `the working directory '${workingDir}' is invalid, it needs to be an absolute path`);
  const size = consoleSize(body);
  const config: ExecConfig = {
    cmd,
    user: field<string>(body, 'User', 'string', ''),
    privileged: field<boolean>(body, 'Privileged', 'boolean', false),
    tty: field<boolean>(body, 'Tty', 'boolean', false),
    attachStdin: field<boolean>(body, 'AttachStdin', 'boolean', false),
    attachStdout: field<boolean>(body, 'AttachStdout', 'boolean', false),
    attachStderr: field<boolean>(body, 'AttachStderr', 'boolean', false),
    env: stringList(body, 'Env'),
    workingDir,
    detachKeys,
    ...(size ? { consoleSize: size } : {}),
  };
  const e = runState(call.engine).execs.create(c.id, config);
  // the runtime joins the container's cgroups in a few ms: start the kernel's wait for that now
  warmCgroupMigration();
  call.send(201, { Id: e.id });
}

/** The start body: on an Upgrade it follows the headers (in `head`, the rest on the socket); else it is the request's body. */
async function startBody(call: ApiCall): Promise<Json> {
  const length = Number(call.req.headers['content-length'] ?? 0);
  if (call.res) return call.json<Json>({}, 1 << 20);
  // Read the body off the upgraded socket, without starting to read what comes after it (stdin).
  const { socket, head } = upgradeParts(call);
  if (!Number.isFinite(length) || length < 0 || length > 1 << 20) throw errors.invalidArgument('INVALID_BODY', 'invalid Content-Length');
  let bytes = head;
  while (bytes.length < length) {
    const chunk = await new Promise<Buffer | null>((resolve) => {
      const onData = (d: Buffer) => {
        socket.off('end', onEnd);
        socket.pause();
        resolve(d);
      };
      const onEnd = () => {
        socket.off('data', onData);
        resolve(null);
      };
      socket.once('data', onData);
      socket.once('end', onEnd);
      socket.resume();
    });
    if (chunk === null) break;
    bytes = Buffer.concat([bytes, chunk]);
  }
  // Bytes past the body are the client's stdin: give them back to the socket.
  if (bytes.length > length) socket.unshift(bytes.subarray(length));
  const text = bytes.subarray(0, length).toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Json;
  } catch (err) {
    throw errors.invalidArgument('INVALID_JSON', `invalid JSON in the request body: ${(err as Error).message}`);
  }
}

/** The upgraded socket and the bytes read past the headers, before the 101 goes out. */
function upgradeParts(call: ApiCall): { socket: Duplex; head: Buffer } {
  const parts = call.upgraded;
  if (!parts) throw new Error('not an upgrade request');
  return parts;
}

async function startExec(call: ApiCall): Promise<void> {
  const state = runState(call.engine);
  const e = state.execs.get(call.params.id!);
  const body = await startBody(call);
  const detach = field<boolean>(body, 'Detach', 'boolean', false);
  const tty = field<boolean>(body, 'Tty', 'boolean', false);
  const size = consoleSize(body);
  if (size && !e.config.consoleSize) e.config.consoleSize = size;
  if (e.started) throw errors.failedPrecondition('EXEC_STARTED', e.running ? `Error: Exec command ${e.id} is already running` : `Error: Exec command ${e.id} has already run`);
  const c = await call.engine.containers.inspect(e.containerId);
  if (c.state.status !== 'running') throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', `Container ${c.id} is not running`);
  warmCgroupMigration();
  if (detach) {
    await runExec(call.engine, e, undefined);
    if (call.res) call.empty(200);
    else call.hijack().socket.end();
    return;
  }
  const { socket } = call.hijack();
  await runExec(call.engine, e, { socket, tty });
}

async function resizeExec(call: ApiCall): Promise<void> {
  const e = runState(call.engine).execs.get(call.params.id!);
  const h = call.int('h') ?? 0;
  const w = call.int('w') ?? 0;
  if (h < 0 || w < 0 || h > 65535 || w > 65535) throw errors.invalidArgument('INVALID_SIZE', `invalid terminal size ${h}x${w}`);
  // The CLI can ask before the process exists: hold the answer until it does (dockerd: 10 s).
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([e.ready.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 10_000)))]);
  clearTimeout(timer);
  if (!ready) throw errors.failedPrecondition('EXEC_NOT_RUNNING', `Exec ${e.id} is not running`);
  if (e.running && h > 0 && w > 0) e.process?.resize(h, w);
  call.empty(200);
}

function inspectExec(call: ApiCall): void {
  call.send(200, execInspectView(runState(call.engine).execs.get(call.params.id!)));
}
