/**
 * A pool of ready network endpoints on the default bridge, so that `run` and `start` there do not
 * wait for `netavark setup` (24 iptables commands and a veth, 40-60 ms on a quiet machine).
 *
 * An entry is a fresh network namespace with a veth on the default bridge, an address leased
 * under the entry's own id (`pool-<time>-<random>`: never a container's) and netavark's state,
 * `<root>/netns-pool/<entry id>.json`, written before the namespace is made and once more with
 * `ready: true` when setup finished. A container that qualifies (the default bridge only: no
 * published ports, no --ip, no --mac-address, one network) takes a ready entry by renaming its
 * state file to the container's `network.json`: one rename, so one taker wins, and there is no
 * moment when neither file names the entry. The container keeps the entry's namespace, address
 * and netavark state as they were set up (the entry's id is what netavark saw; without published
 * ports and DNS it keys nothing on it), and its teardown (container-network.ts) releases the
 * entry's lease and namespace. An entry is used once: a container with NET_ADMIN could have
 * changed it.
 *
 * The pool is refilled off the critical path, by a detached `berth network pool-refill` that the
 * taking process starts unless one runs (services/container-network.ts); one refiller at a time
 * (`filling` names its process; a dead one's is taken over); it stays 5 s after its last refill,
 * so that back-to-back runs do not each pay for a spawn. Prune stops it (SIGTERM). What a killed refiller left (an entry not ready, a
 * namespace or lease no file names) the next refill, `network prune` and `system prune` remove.
 * The pool is no container: `ps`, `network inspect` and `system check` do not show it.
 *
 * A container's teardown hands an entry it used, with nothing added to it (one endpoint, no
 * ports), to the pool as `<entry id>.spent`: the refiller tears it down (netavark teardown, the
 * entry's lease and namespace), so that neither setup nor teardown is on a run's critical path.
 *
 * Addresses: entries lease the lowest free addresses, and a container takes the entry with the
 * lowest, so containers started one after another get the low addresses in order, as on docker0;
 * a container started right after another's removal may get the next address rather than the
 * freed one (the spent entry's address is free once the refiller tore it down).
 *
 * `BERTH_NETNS_POOL=0` turns the pool off for the processes that see it (containers started then
 * are set up as they start; entries already made stay until taken or pruned).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { errnoCode, pidExists, trace, writeJsonAtomic } from '../base/index.js';
import type { NetworkRecord, SetupRequest } from '../core/network/index.js';
import { macForIpv4, parseIpv4 } from '../core/network/index.js';
import { ensureBridgeKeeper } from './bridge-keeper.js';
import { disconnectContainer } from './container-network.js';
import type { EngineContext } from './engine-context.js';
import { findNetwork } from './network-lookup.js';

/** Entries kept ready per store. */
export const poolSize = 2;

/** `BERTH_NETNS_POOL=0`: no pool (every container on the default bridge is set up as it starts). */
export const poolEnabled = (): boolean => process.env['BERTH_NETNS_POOL'] !== '0';

export const isPoolId = (id: string): boolean => /^pool-[0-9a-z]+-[0-9a-f]+$/.test(id);

const poolDir = (ctx: EngineContext) => join(ctx.paths.root, 'netns-pool');
const entryFile = (ctx: EngineContext, id: string) => join(poolDir(ctx), `${id}.json`);
const fillingFile = (ctx: EngineContext) => join(poolDir(ctx), 'filling');
/** An entry a container used, its teardown left to the refiller. */
const spentFile = (ctx: EngineContext, id: string) => join(poolDir(ctx), `${id}.spent`);

interface EntryState {
  netns: string;
  request: SetupRequest;
  ready?: boolean;
}

/** A live process: a zombie is none (a killed detached refiller stays one where PID 1 does not reap). */
function alive(pid: number): boolean {
  if (!pidExists(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function readEntry(path: string): EntryState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EntryState;
  } catch {
    return undefined;
  }
}

function entryIds(ctx: EngineContext): string[] {
  let names: string[];
  try {
    names = readdirSync(poolDir(ctx));
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).filter(isPoolId).sort();
}

/**
 * Takes a ready entry on `network` for container `id`: its state becomes `statePath` (the
 * container's network.json). Undefined when the pool has none.
 */
export function takePoolEntry(ctx: EngineContext, id: string, network: NetworkRecord, statePath: string): EntryState | undefined {
  // The lowest address first: the pool holds the lowest free ones, so containers get them in order, as on docker0.
  const entries = entryIds(ctx).map((entryId) => ({ entryId, entry: readEntry(entryFile(ctx, entryId)) }))
    .map((e) => ({ ...e, ip: parseIpv4(e.entry?.request.endpoints[0]?.ip ?? '') ?? Infinity }))
    .sort((a, b) => a.ip - b.ip);
  for (const { entryId, entry } of entries) {
    if (entry?.ready !== true || entry.request.endpoints[0]?.network.id !== network.id) continue;
    // After a reboot the namespace is gone (and the bridge with it): the next refill removes the entry.
    if (!ctx.networkDriver.namespaceMounted(entryId)) continue;
    try {
      renameSync(entryFile(ctx, entryId), statePath);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue; // another process took it first
      throw err;
    }
    trace(`network: took pool entry ${entryId}`);
    return readEntry(statePath) ?? entry;
  }
  return undefined;
}

/**
 * A stopped container's networking on a pool entry, with nothing added (one endpoint, no
 * ports): its claimed state goes to the pool as spent, for the refiller to tear down. True when
 * it did; the address and namespace stay the entry's until then.
 */
export function handOffSpent(ctx: EngineContext, state: EntryState, claimed: string): boolean {
  const owner = state.request.containerId;
  if (!isPoolId(owner) || state.request.endpoints.length !== 1 || state.request.ports.length > 0) return false;
  try {
    renameSync(claimed, spentFile(ctx, owner));
  } catch {
    return false;
  }
  spawnPoolRefill(ctx);
  return true;
}

function spentIds(ctx: EngineContext): string[] {
  try {
    return readdirSync(poolDir(ctx)).filter((n) => n.endsWith('.spent')).map((n) => n.slice(0, -'.spent'.length)).filter(isPoolId).sort();
  } catch {
    return [];
  }
}

/** The live refiller's pid, or 0. */
function refiller(ctx: EngineContext): number {
  try {
    const pid = Number(readFileSync(fillingFile(ctx), 'utf8'));
    return pid > 0 && alive(pid) ? pid : 0;
  } catch {
    return 0;
  }
}

/**
 * Starts a detached refiller (`berth network pool-refill`) that outlives this process, unless one
 * runs: it stays a few seconds after its last refill, so back-to-back runs pay for no spawn.
 */
export function spawnPoolRefill(ctx: EngineContext): void {
  if (refiller(ctx) !== 0) return;
  const [command, ...args] = ctx.monitor.berth;
  if (command === undefined) return;
  try {
    const child = spawn(command, [...args, 'network', 'pool-refill'], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // only an optimisation
  }
}

/** Takes the refiller's lock; false when a live process holds it. */
function lockFilling(ctx: EngineContext): boolean {
  mkdirSync(poolDir(ctx), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(fillingFile(ctx), 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(fillingFile(ctx), 'utf8'));
    } catch {
      // gone meanwhile
    }
    if (owner > 0 && alive(owner)) return false;
    rmSync(fillingFile(ctx), { force: true });
  }
  return false;
}

const unlockFilling = (ctx: EngineContext) => rmSync(fillingFile(ctx), { force: true });

/** Pool ids that a container's netavark state (or a teardown's claim of it) names: entries taken over. */
function takenIds(ctx: EngineContext): Set<string> {
  const taken = new Set<string>();
  let ids: string[];
  try {
    ids = readdirSync(ctx.paths.containers);
  } catch {
    return taken;
  }
  for (const id of ids) {
    let names: string[];
    try {
      names = readdirSync(join(ctx.paths.containers, id));
    } catch {
      continue;
    }
    for (const name of names.filter((n) => n === 'network.json' || n.startsWith('network.json.teardown-'))) {
      const owner = readEntry(join(ctx.paths.containers, id, name))?.request.containerId;
      if (owner !== undefined && isPoolId(owner)) taken.add(owner);
    }
  }
  return taken;
}

/**
 * Removes what is no ready entry of the pool (all = every entry too): entries not ready or whose
 * namespace is gone, and namespaces and leases of pool ids that neither an entry nor a container
 * names. The caller holds the filling lock. Returns what failed.
 */
async function sweep(ctx: EngineContext, all: boolean): Promise<unknown[]> {
  const problems: unknown[] = [];
  for (const spent of spentIds(ctx)) problems.push(...(await disconnectContainer(ctx, spent, spentFile(ctx, spent))));
  // Teardown claims (`<file>.teardown-<pid>`) of processes that died: what they named is swept as orphans below.
  try {
    for (const name of readdirSync(poolDir(ctx))) {
      const m = /\.teardown-(\d+)$/.exec(name);
      if (m && !alive(Number(m[1]))) rmSync(join(poolDir(ctx), name), { force: true });
    }
  } catch {
    // no pool
  }
  const entries = new Set<string>();
  for (const entryId of entryIds(ctx)) {
    const entry = readEntry(entryFile(ctx, entryId));
    if (!all && entry?.ready === true && ctx.networkDriver.namespaceMounted(entryId)) {
      entries.add(entryId);
      continue;
    }
    problems.push(...(await disconnectContainer(ctx, entryId, entryFile(ctx, entryId))));
  }
  const taken = takenIds(ctx);
  const orphan = (id: string) => isPoolId(id) && !entries.has(id) && !taken.has(id);
  // Without an entry's state: no published ports or firewall rules of its own; unmounting the
  // namespace removes its veth.
  const netnsDir = dirname(ctx.networkDriver.namespacePath('x'));
  let names: string[] = [];
  try {
    names = readdirSync(netnsDir);
  } catch {
    // none yet
  }
  for (const name of names.filter(orphan)) {
    try {
      await ctx.networkDriver.removeNamespace(name);
    } catch (err) {
      problems.push(err);
    }
  }
  for (const network of ctx.networks.list()) {
    for (const owner of new Set(Object.values(ctx.networks.leases(network.id)))) {
      if (orphan(owner)) ctx.networks.releaseLease(network.id, owner);
    }
  }
  return problems;
}

/** Makes one entry; nothing is left when a step fails. */
async function makeEntry(ctx: EngineContext, network: NetworkRecord): Promise<void> {
  const entryId = `pool-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const path = entryFile(ctx, entryId);
  try {
    const ip = ctx.networks.lease(network.id, entryId);
    const request: SetupRequest = {
      containerId: entryId, containerName: entryId, ports: [],
      endpoints: [{ network, interfaceName: 'eth0', ip, mac: macForIpv4(parseIpv4(ip) as number), aliases: [] }],
    };
    const netns = ctx.networkDriver.namespacePath(entryId);
    writeJsonAtomic(path, { netns, request } satisfies EntryState);
    await ctx.networkDriver.createNamespace(entryId);
    await ctx.networkDriver.setup(netns, request);
    writeJsonAtomic(path, { netns, request, ready: true } satisfies EntryState);
  } catch (err) {
    await disconnectContainer(ctx, entryId, path);
    throw err;
  }
}

/** How long a refiller stays after its last refill, watching for entries taken. */
const lingerMs = 5_000;

/** `berth network pool-refill`: removes what a killed refiller left, then keeps the pool full until idle for lingerMs. */
export async function refillPool(ctx: EngineContext): Promise<void> {
  if (!lockFilling(ctx)) return;
  // Stopped by prune: the lock goes at once (what was being made, prune sweeps).
  process.once('SIGTERM', () => {
    unlockFilling(ctx);
    process.exit(143);
  });
  try {
    const problems = await sweep(ctx, false);
    if (problems.length > 0) throw problems[0] as Error;
    const network = findNetwork(ctx, 'bridge');
    await ensureBridgeKeeper(ctx);
    for (let idleSince = Date.now(); Date.now() - idleSince < lingerMs;) {
      const spent = spentIds(ctx)[0];
      if (spent !== undefined) {
        const failed = await disconnectContainer(ctx, spent, spentFile(ctx, spent));
        if (failed.length > 0) throw failed[0] as Error;
        idleSince = Date.now();
      } else if (entryIds(ctx).length < poolSize) {
        await makeEntry(ctx, network);
        idleSince = Date.now();
      } else {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    ctx.warn(`could not refill the default bridge's pool of ready endpoints: ${(err as Error).message}`);
  } finally {
    unlockFilling(ctx);
  }
}

/** `network prune` (and `system prune`): removes the pool; waits for a refiller (up to 10 s). Returns what failed. */
export async function releasePool(ctx: EngineContext): Promise<unknown[]> {
  // A lingering refiller is stopped (what it was making is swept below); its pid is checked to be one.
  const pid = refiller(ctx);
  if (pid !== 0) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pool-refill')) process.kill(pid, 'SIGTERM');
    } catch {
      // gone meanwhile
    }
  }
  let locked = lockFilling(ctx);
  for (let waited = 0; !locked && waited < 10_000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    locked = lockFilling(ctx);
  }
  try {
    return await sweep(ctx, true);
  } finally {
    if (locked) unlockFilling(ctx);
  }
}
