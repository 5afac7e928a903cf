/**
 * The ContainerEngine of a remote engine: each method as the docker CLI does it over the Engine
 * API (the request sequences of ../shared/reference/engine-api.md §3), the answers read back into
 * berth's records and results.
 */
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';

import { BerthError, errors, isBerthError } from '../base/index.js';
import type { Operation } from '../base/index.js';
import type {
  AttachResult, AttachStreams, CommitOptions, ContainerHostFacts, ContainerChange, ContainerEngine, ContainerExecOptions, ContainerRecord, ContainerUpdate, CopyOptions,
  CreateContainerOptions, LogsOptions, ProcessList, PruneResult, StartOptions, StatsSample,
} from '../api/index.js';
import { createBody } from './create-body.js';
import type { DockerApi } from './docker-api.js';
import { compareVersions, filtersParam, fromDaemon, readAll } from './docker-api.js';
import { copyOutput, forwardStdin } from './frames.js';
import type { DockerContainerJson, DockerContainerSummary } from './container-records.js';
import { recordFromInspect, recordFromSummary } from './container-records.js';
import { endpointConfig, endpointWishes } from './networking.js';
import { rawTerminal, stdioStreams } from './terminal.js';
import type { Unsupported } from './unsupported.js';

type Stdio = Parameters<ContainerEngine['exec']>[2];

const path = (ref: string) => encodeURIComponent(ref);

export function remoteContainers(api: DockerApi, unsupported: Unsupported, hostMemory: () => Promise<number>): ContainerEngine {
  const inspectJson = (ref: string, size = false) => api.json<DockerContainerJson>('GET', `/containers/${path(ref)}/json`, size ? { query: { size: true } } : {});
  const inspect = async (ref: string) => recordFromInspect(await inspectJson(ref));
  const kill = async (ref: string, signal: string) => void (await api.call('POST', `/containers/${path(ref)}/kill`, { query: { signal } }));
  /** POST /wait: resolves with the answer's headers (the daemon flushes them at once), the body with the exit. */
  const waitFor = async (id: string, condition: 'not-running' | 'next-exit' | 'removed', signal?: AbortSignal): Promise<{ exit: Promise<number> }> => {
    const res = await api.request('POST', `/containers/${path(id)}/wait`, { query: { condition }, ...(signal ? { signal } : {}) });
    const exit = readAll(res).then((body) => {
      const answer = JSON.parse(body.toString('utf8')) as { StatusCode: number; Error?: { Message?: string } | null };
      if (answer.Error?.Message) throw fromDaemon(errors.unknown('WAIT_FAILED', answer.Error.Message));
      return answer.StatusCode;
    });
    exit.catch(() => undefined);
    // Wrapped: an async function's result that is a promise would be awaited with it.
    return { exit };
  };

  const engine: ContainerEngine = {
    async create(options: CreateContainerOptions, op?: Operation): Promise<ContainerRecord> {
      const body = createBody(options, options.attach ?? { stdin: options.openStdin === true && options.stdinOnce === true, stdout: false, stderr: false });
      const created = await api.json<{ Id: string; Warnings?: string[] | null }>('POST', '/containers/create', { query: { name: options.name }, body });
      for (const warning of created.Warnings ?? []) op?.warn(warning);
      // API 1.41 joins one network at create; the others are connected before the start, as the docker CLI did.
      for (const wish of endpointWishes(options.host ?? {}).slice(1)) {
        await api.call('POST', `/networks/${path(wish.network)}/connect`, { body: { Container: created.Id, EndpointConfig: endpointConfig(wish) } });
      }
      return inspect(created.Id);
    },

    kill,

    async start(ref: string | ContainerRecord, options: StartOptions = {}): Promise<AttachResult | undefined> {
      const record = typeof ref === 'string' ? (options.attach ? await inspect(ref) : undefined) : ref;
      const id = record?.id ?? (ref as string);
      if (!options.attach) {
        if (options.signal?.aborted) throw errors.aborted('START_ABORTED', `The start of container "${record?.name ?? id}" was interrupted`);
        await startContainer(api, id);
        options.onStarted?.();
        return undefined;
      }
      const container = record as ContainerRecord;
      return attachSession(api, container, options.attach, {
        before: async (waitSignal) => {
          const { exit } = await waitFor(id, container.hostConfig.autoRemove ? 'removed' : 'next-exit', waitSignal);
          if (options.signal?.aborted) {
            // Interrupted before the start: the container never runs (an --rm one is removed, as it would be after its exit).
            if (container.hostConfig.autoRemove) await api.call('DELETE', `/containers/${path(id)}`, { query: { force: true } }).catch(() => undefined);
            return { aborted: signalExitCode(options.signal.reason) };
          }
          await startContainer(api, id);
          options.onStarted?.();
          return { exit };
        },
      });
    },

    async attach(ref: string, streams: AttachStreams): Promise<AttachResult> {
      const record = await inspect(ref);
      if (record.state.status === 'paused') throw errors.failedPrecondition('CONTAINER_PAUSED', 'You cannot attach to a paused container, unpause it first');
      if (record.state.status !== 'running' && record.state.status !== 'restarting') throw errors.failedPrecondition('CONTAINER_NOT_RUNNING', 'You cannot attach to a stopped container, start it first');
      return attachSession(api, record, streams, { before: (waitSignal) => waitFor(record.id, 'not-running', waitSignal) });
    },

    async resize(ref, rows, cols) {
      await api.call('POST', `/containers/${path(ref)}/resize`, { query: { h: rows, w: cols } });
    },

    async stop(ref, options = {}) {
      if (options.signal === undefined || compareVersions(await api.apiVersion(), '1.42') >= 0) {
        await api.call('POST', `/containers/${path(ref)}/stop`, { query: { t: options.timeout, signal: options.signal } });
        return;
      }
      // Before API 1.42 stop takes no signal: send it, wait out the timeout, then SIGKILL (what stop does).
      const record = await inspect(ref);
      if (record.state.status !== 'running' && record.state.status !== 'paused' && record.state.status !== 'restarting') return;
      await kill(record.id, options.signal);
      const seconds = options.timeout ?? record.config.StopTimeout ?? 10;
      const exited = await waitFor(record.id, 'not-running', AbortSignal.timeout(Math.max(0, seconds) * 1000)).then(({ exit }) => exit.then(() => true, () => false), () => false);
      if (!exited) {
        await kill(record.id, 'KILL').catch((err: unknown) => {
          if (!isBerthError(err, 'FailedPrecondition')) throw err;
        });
        await (await waitFor(record.id, 'not-running')).exit.catch(() => undefined);
      }
    },

    async wait(ref, options = {}) {
      return (await waitFor(ref, 'not-running', options.signal)).exit;
    },

    async logs(ref: string, options: LogsOptions): Promise<void> {
      const record = await inspectJson(ref);
      const res = await api.request('GET', `/containers/${path(record.Id)}/logs`, {
        query: {
          stdout: true, stderr: true, follow: options.follow === true, timestamps: options.timestamps === true, details: options.details === true,
          tail: options.tail ?? 'all', since: options.since !== undefined ? unixTime(options.since) : undefined, until: options.until !== undefined ? unixTime(options.until) : undefined,
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      try {
        await copyOutput(res, options, record.Config['Tty'] === true);
      } catch (err) {
        if (options.signal?.aborted) return;
        throw err;
      }
    },

    async exec(ref: string, options: ContainerExecOptions, stdio: Stdio): Promise<number> {
      const attach = { stdin: !options.detach && stdio[0] !== 'ignore', stdout: !options.detach && stdio[1] !== 'ignore', stderr: !options.detach && stdio[2] !== 'ignore' };
      await inspectJson(ref);
      const created = await api.json<{ Id: string }>('POST', `/containers/${path(ref)}/exec`, {
        body: {
          User: options.user ?? '', Privileged: options.privileged === true, Tty: options.tty === true,
          AttachStdin: attach.stdin && options.interactive === true, AttachStdout: attach.stdout, AttachStderr: attach.stderr,
          Detach: options.detach === true, DetachKeys: '', Env: options.env && options.env.length > 0 ? options.env : null,
          WorkingDir: options.workingDir ?? '', Cmd: options.cmd,
        },
      });
      const start = { Detach: options.detach === true, Tty: options.tty === true };
      if (options.detach) {
        await api.call('POST', `/exec/${created.Id}/start`, { body: start });
        return 0;
      }
      const streams = stdioStreams(stdio);
      const socket = await api.hijack('POST', `/exec/${created.Id}/start`, { body: start });
      const terminal = options.tty && options.interactive && streams.stdin ? rawTerminal(streams.stdin, streams.stdout) : undefined;
      try {
        terminal?.followSize((rows, cols) => void api.call('POST', `/exec/${created.Id}/resize`, { query: { h: rows, w: cols } }).catch(() => undefined));
        let stopStdin: (() => void) | undefined;
        if (options.interactive && streams.stdin) stopStdin = forwardStdin(streams.stdin, socket, undefined, () => undefined, () => socket.end());
        else socket.end();
        try {
          await copyOutput(socket, streams, options.tty === true);
        } finally {
          stopStdin?.();
        }
      } finally {
        terminal?.restore();
      }
      return execExitCode(api, created.Id);
    },

    // What a daemon's exec endpoints use (its own engine is local).
    execStreams: () => Promise.reject(unsupported('exec', "a daemon's exec streams come from a local engine")),
    execOutcome: () => Promise.reject(unsupported('container exec-report')),
    cleanup: () => Promise.reject(unsupported('container cleanup')),
    restartAfterBoot: () => Promise.reject(unsupported('system boot')),
    healthcheck: () => Promise.reject(unsupported('container healthcheck')),

    inspect,

    /** What the daemon's inspect says of the container's host side (its files, runtime, volumes' directories). */
    async hostFacts(ref: string): Promise<ContainerHostFacts> {
      const json = await inspectJson(ref);
      const data = json.GraphDriver?.Data;
      return {
        resolvConfPath: json.ResolvConfPath ?? '', hostnamePath: json.HostnamePath ?? '', hostsPath: json.HostsPath ?? '', logPath: json.LogPath ?? '',
        graphDriver: data && data['MergedDir'] !== undefined ? { ...(data['LowerDir'] !== undefined ? { LowerDir: data['LowerDir'] } : {}), MergedDir: data['MergedDir'], UpperDir: data['UpperDir'] ?? '', WorkDir: data['WorkDir'] ?? '' } : null,
        runtime: typeof json.HostConfig['Runtime'] === 'string' ? json.HostConfig['Runtime'] : '',
        volumeSources: Object.fromEntries((json.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name !== undefined).map((m) => [m.Name as string, m.Source])),
      };
    },

    async list(options = {}) {
      const list = await api.json<DockerContainerSummary[]>('GET', '/containers/json', { query: { all: options.all === true, filters: filtersParam(options.filters) } });
      const now = Date.now();
      return list.map((s) => recordFromSummary(s, now));
    },

    async sizes(ref) {
      const json = await inspectJson(ref, true);
      return { sizeRw: json.SizeRw ?? 0, sizeRootFs: json.SizeRootFs ?? 0 };
    },

    async remove(ref, options = {}) {
      await api.call('DELETE', `/containers/${path(ref)}`, { query: { force: options.force === true, v: options.volumes === true } });
      return ref;
    },

    // cp's tar code is loaded by cp.
    copyFrom: async (ref: string, src: string, dest: { path: string } | { stream: Writable }, options?: CopyOptions, op?: Operation) => (await import('./archive.js')).copyFromContainer(api, ref, src, dest, options ?? {}, op),
    statPath: async (ref: string, path: string) => (await import('./archive.js')).statContainerPath(api, ref, path),
    copyTo: async (ref: string, src: { path: string } | { stream: Readable }, dest: string, options?: CopyOptions, op?: Operation) => (await import('./archive.js')).copyToContainer(api, ref, src, dest, options ?? {}, op),

    async export(ref, out, op) {
      const res = await api.request('GET', `/containers/${path(ref)}/export`, op?.signal ? { signal: op.signal } : {});
      await copyOutput(res, { stdout: out }, true);
    },

    async changes(ref) {
      const list = await api.json<{ Path: string; Kind: number }[] | null>('GET', `/containers/${path(ref)}/changes`);
      const kinds = ['C', 'A', 'D'] as const;
      return (list ?? []).map((c): ContainerChange => ({ kind: kinds[c.Kind] ?? 'C', path: c.Path })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async commit(ref, options: CommitOptions = {}) {
      const { repo, tag } = splitReference(options.reference);
      const answer = await api.json<{ Id: string }>('POST', '/commit', {
        query: { container: ref, repo, tag, comment: options.message, author: options.author, pause: options.pause !== false, changes: options.changes ? [...options.changes] : undefined },
        body: {},
      });
      return { id: answer.Id as `sha256:${string}` };
    },

    async prune(options = {}): Promise<PruneResult> {
      const answer = await api.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/containers/prune', { query: { filters: filtersParam(options.filters) } });
      return { deleted: answer.ContainersDeleted ?? [], spaceReclaimed: answer.SpaceReclaimed };
    },

    async pause(ref) {
      await api.call('POST', `/containers/${path(ref)}/pause`);
    },
    async unpause(ref) {
      await api.call('POST', `/containers/${path(ref)}/unpause`);
    },
    async rename(ref, name) {
      await api.call('POST', `/containers/${path(ref)}/rename`, { query: { name } });
    },

    async update(ref, changes: ContainerUpdate, op) {
      const body: Record<string, unknown> = {};
      const fields: [keyof ContainerUpdate, string][] = [
        ['memory', 'Memory'], ['memorySwap', 'MemorySwap'], ['memoryReservation', 'MemoryReservation'], ['nanoCpus', 'NanoCpus'], ['cpuShares', 'CpuShares'],
        ['cpusetCpus', 'CpusetCpus'], ['cpusetMems', 'CpusetMems'], ['pidsLimit', 'PidsLimit'], ['blkioWeight', 'BlkioWeight'],
      ];
      for (const [key, field] of fields) if (changes[key] !== undefined) body[field] = changes[key];
      if (changes.restartPolicy) body['RestartPolicy'] = { Name: changes.restartPolicy.name, MaximumRetryCount: changes.restartPolicy.maximumRetryCount };
      const answer = await api.json<{ Warnings?: string[] | null }>('POST', `/containers/${path(ref)}/update`, { body });
      for (const warning of answer.Warnings ?? []) op?.warn(warning);
      return inspect(ref);
    },

    async top(ref, psArgs): Promise<ProcessList> {
      const answer = await api.json<{ Titles: string[]; Processes: string[][] | null }>('GET', `/containers/${path(ref)}/top`, { query: { ps_args: psArgs && psArgs.length > 0 ? psArgs.join(' ') : undefined } });
      return { titles: answer.Titles, processes: answer.Processes ?? [] };
    },

    async stats(ref): Promise<StatsSample> {
      const s = await api.json<DockerStats>('GET', `/containers/${path(ref)}/stats`, { query: { stream: false, 'one-shot': true } });
      return statsSample(s, await hostMemory());
    },
  };
  return engine;
}

/** POST /start, its refusals as `run` reports them (127 for a missing command, 126 for one that cannot run). */
async function startContainer(api: DockerApi, id: string): Promise<void> {
  try {
    await api.call('POST', `/containers/${path(id)}/start`);
  } catch (err) {
    if (!isBerthError(err) || err.kind === 'NotFound') throw err;
    if (/executable file not found|no such file or directory/i.test(err.message)) throw fromDaemon(new BerthError(err.kind, 'BERTH_E_COMMAND_NOT_FOUND', err.message));
    if (/permission denied|is a directory/i.test(err.message)) throw fromDaemon(new BerthError(err.kind, 'BERTH_E_COMMAND_NOT_EXECUTABLE', err.message));
    throw err;
  }
}

/**
 * An attached client's session, as the docker CLI runs it: the attach (hijacked) first, then
 * `before` (the wait, and for `run`/`start -a` the start), then the streams until the container's
 * output ends or the client detaches; the exit code comes from the wait, never from the stream.
 */
async function attachSession(
  api: DockerApi,
  record: ContainerRecord,
  streams: AttachStreams,
  options: { before: (waitSignal: AbortSignal) => Promise<{ exit: Promise<number> } | { aborted: number }> },
): Promise<AttachResult> {
  const tty = record.config.Tty === true;
  const socket = await api.hijack('POST', `/containers/${path(record.id)}/attach`, {
    query: { stream: true, stdin: streams.stdin !== undefined, stdout: streams.stdout !== undefined, stderr: streams.stderr !== undefined },
  });
  const waitAbort = new AbortController();
  let detached = false;
  let onDetach: () => void = () => undefined;
  const detach = new Promise<void>((resolve) => (onDetach = resolve));
  const output = copyOutput(socket, streams, tty).catch((err: unknown) => {
    if (!detached) throw err;
  });
  output.catch(() => undefined);
  let stopStdin: (() => void) | undefined;
  try {
    const began = await options.before(waitAbort.signal);
    if ('aborted' in began) {
      socket.destroy();
      return { exitCode: began.aborted };
    }
    const detachNow = () => {
      detached = true;
      socket.destroy();
      onDetach();
    };
    // The caller's own detach (a daemon whose client hung up), as the detach keys do.
    if (streams.detach?.aborted) detachNow();
    streams.detach?.addEventListener('abort', detachNow, { once: true });
    if (streams.stdin) stopStdin = forwardStdin(streams.stdin, socket, streams.detachKeys, detachNow, () => socket.end());
    else socket.end();
    await Promise.race([output, detach]);
    if (detached) return { detached: true };
    return { exitCode: await began.exit };
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    stopStdin?.();
    if (detached) waitAbort.abort();
  }
}

/** The exit code of an exec whose stream ended (the daemon records it before closing the stream). */
async function execExitCode(api: DockerApi, id: string): Promise<number> {
  for (let i = 0; ; i++) {
    const answer = await api.json<{ Running: boolean; ExitCode: number | null }>('GET', `/exec/${id}/json`);
    if ((!answer.Running && answer.ExitCode !== null) || i >= 50) return answer.ExitCode ?? 126;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** 128 + the signal's number, for a run interrupted before its container started. */
function signalExitCode(reason: unknown): number {
  const n = typeof reason === 'string' ? (constants.signals as Record<string, number>)[reason] : undefined;
  return n === undefined ? 137 : 128 + n;
}

/** Seconds (with a fraction) as the API's `SECONDS.NANOSECONDS`. */
function unixTime(seconds: number): string {
  const whole = Math.floor(seconds);
  const nanos = Math.min(999_999_999, Math.round((seconds - whole) * 1e9));
  return `${whole}.${String(nanos).padStart(9, '0')}`;
}

/** `REPO[:TAG]` as commit's repo and tag (a colon before the last slash is a registry's port). */
function splitReference(reference: string | undefined): { repo?: string; tag?: string } {
  if (reference === undefined || reference === '') return {};
  const at = reference.indexOf('@');
  const name = at >= 0 ? reference.slice(0, at) : reference;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name };
}

interface DockerStats {
  id?: string;
  name?: string;
  read: string;
  pids_stats?: { current?: number };
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

function statsSample(s: DockerStats, hostMemory: number): StatsSample {
  const readAt = Date.parse(s.read);
  const running = s.memory_stats?.usage !== undefined || (s.pids_stats?.current ?? 0) > 0;
  const io = s.blkio_stats?.io_service_bytes_recursive ?? [];
  const sum = (op: string) => io.filter((e) => e.op.toLowerCase() === op).reduce((t, e) => t + e.value, 0);
  const memoryStats = s.memory_stats?.stats ?? {};
  const networks = Object.values(s.networks ?? {});
  const limit = s.memory_stats?.limit;
  return {
    id: s.id ?? '',
    name: (s.name ?? '').replace(/^\//, ''),
    running,
    readAt: Number.isNaN(readAt) || readAt <= 0 ? Date.now() : readAt,
    ...(running ? {
      cgroup: {
        cpuUsageNs: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
        memoryUsage: s.memory_stats?.usage ?? 0,
        memoryInactiveFile: memoryStats['inactive_file'] ?? memoryStats['total_inactive_file'] ?? 0,
        memoryLimit: limit !== undefined && limit > 0 && limit < hostMemory ? limit : undefined,
        pids: s.pids_stats?.current ?? 0,
        blockRead: sum('read'),
        blockWrite: sum('write'),
      },
    } : {}),
    ...(networks.length > 0 ? { network: { rxBytes: networks.reduce((t, n) => t + n.rx_bytes, 0), txBytes: networks.reduce((t, n) => t + n.tx_bytes, 0) } } : {}),
    systemCpuNs: s.cpu_stats?.system_cpu_usage ?? 0,
    onlineCpus: s.cpu_stats?.online_cpus ?? 1,
    hostMemory,
  };
}
