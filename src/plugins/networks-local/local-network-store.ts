/**
 * The store's networks as files under `<root>/networks/`:
 *
 *   <id>.json          the record
 *   <id>.leases.json   address → container id: the network's leases
 *   .lock              flock(2): every change holds it
 *
 * and, host-wide (all stores on the host share them), under `<claims>/` (on /run):
 *
 *   claims.json        subnets and bridge names by the network (store root, id) that uses them;
 *                      published host ports by the container (id, namespace path) that uses them
 *   .lock              flock(2), taken after a store's lock, never before
 *
 * A claim whose network record or container namespace no longer exists is stale and ignored, so
 * a store removed with `rm -rf`, or a container killed with its monitor, blocks nothing for long.
 * Claims live on tmpfs (as bridges and namespaces do): after a reboot a store's networks claim
 * their subnets again when they are next used or listed.
 */
import { existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode, errors, newId, readdirSyncOrEmpty, readJsonFile, writeJsonAtomic } from '../../base/index.js';
import type { Ipv4Subnet, NetworkRecord, NetworkStore, NewNetwork, PortBinding, PortProtocol, PublishedPort } from '../../core/network/index.js';
import { drawSubnet, formatCidr, parseCidr, pickAddress, planSubnet, subnetsOverlap, validateNetworkName } from '../../core/network/index.js';
import { withFileLock } from '../../sys/index.js';

interface Claims {
  subnets: Record<string, { root: string; id: string }>;
  bridges: Record<string, { root: string; id: string }>;
  /** `protocol/hostIp/hostPort` → its container (and the container port, for a teardown rebuilt without the container's files). */
  ports: Record<string, { containerId: string; netns: string; containerPort?: number }>;
}

export function createLocalNetworkStore(root: string, claimsDir: string): NetworkStore {
  const dir = join(root, 'networks');
  const recordPath = (id: string) => join(dir, `${id}.json`);
  const leasePath = (id: string) => join(dir, `${id}.leases.json`);
  const claimsPath = join(claimsDir, 'claims.json');
  const ensure = (path: string) => {
    if (!existsSync(path)) mkdirSync(path, { recursive: true, mode: 0o700 });
  };
  const locked = <T>(fn: () => T): T => {
    ensure(dir);
    return withFileLock(join(dir, '.lock'), fn);
  };
  /** The host-wide claims, with stale ones dropped; `fn` may change them, and they are written back. */
  const withClaims = <T>(fn: (claims: Claims) => T): T => {
    ensure(claimsDir);
    return withFileLock(join(claimsDir, '.lock'), () => {
      const claims = readJsonFile<Claims>(claimsPath) ?? { subnets: {}, bridges: {}, ports: {} };
      const live = (c: { root: string; id: string }) => existsSync(join(c.root, 'networks', `${c.id}.json`));
      for (const table of [claims.subnets, claims.bridges]) for (const [k, c] of Object.entries(table)) if (!live(c)) delete table[k];
      for (const [k, c] of Object.entries(claims.ports)) if (!existsSync(c.netns)) delete claims.ports[k];
      const before = JSON.stringify(claims);
      const result = fn(claims);
      if (JSON.stringify(claims) !== before || !existsSync(claimsPath)) writeJsonAtomic(claimsPath, claims);
      return result;
    });
  };

  const list = (): NetworkRecord[] => {
    return readdirSyncOrEmpty(dir).filter((n) => /^[0-9a-f]{64}\.json$/.test(n)).map((n) => readJsonFile<NetworkRecord>(join(dir, n)))
      .filter((r): r is NetworkRecord => r !== undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
  const find = (ref: string): NetworkRecord | undefined => {
    const all = list();
    const byName = all.find((n) => n.name === ref);
    if (byName) return byName;
    if (!/^[0-9a-f]{1,64}$/.test(ref)) return undefined;
    const byId = all.find((n) => n.id === ref);
    if (byId) return byId;
    const prefixed = all.filter((n) => n.id.startsWith(ref));
    return prefixed.length === 1 ? prefixed[0] : undefined;
  };
  const readLeases = (id: string) => readJsonFile<Record<string, string>>(leasePath(id)) ?? {};

  /** Claims the record's subnet and bridge for it host-wide; FailedPrecondition when another network has them. */
  const claim = (claims: Claims, record: NetworkRecord) => {
    if (record.subnet === undefined || record.bridge === undefined) return;
    const mine = (c: { root: string; id: string } | undefined) => c !== undefined && c.root === root && c.id === record.id;
    const subnet = parseCidr(record.subnet) as Ipv4Subnet;
    for (const [cidr, owner] of Object.entries(claims.subnets)) {
      if (!mine(owner) && subnetsOverlap(parseCidr(cidr) as Ipv4Subnet, subnet)) {
        throw errors.failedPrecondition('SUBNET_OVERLAP', `Pool overlaps with other one on this address space: ${record.subnet} overlaps ${cidr} of another berth store (${owner.root})`);
      }
    }
    const bridgeOwner = claims.bridges[record.bridge];
    if (bridgeOwner !== undefined && !mine(bridgeOwner)) {
      throw errors.failedPrecondition('BRIDGE_NAME_IN_USE', `bridge name ${record.bridge} is used by a network of another berth store (${bridgeOwner.root})`);
    }
    claims.subnets[record.subnet] = { root, id: record.id };
    claims.bridges[record.bridge] = { root, id: record.id };
  };

  return {
    create(request: NewNetwork) {
      validateNetworkName(request.name);
      return locked(() => {
        const existing = list();
        if (existing.some((n) => n.name === request.name)) throw errors.alreadyExists('NETWORK_EXISTS', `network with name ${request.name} already exists`);
        const record: NetworkRecord = {
          id: newId(), name: request.name, driver: request.driver, created: new Date().toISOString(), internal: request.internal,
          dnsEnabled: request.dnsEnabled, labels: { ...request.labels }, options: { ...request.options }, predefined: request.predefined,
          ...(request.attachable ? { attachable: true } : {}),
        };
        if (request.driver !== 'bridge') {
          writeJsonAtomic(recordPath(record.id), record);
          return record;
        }
        return withClaims((claims) => {
          const own = existing.filter((n) => n.subnet !== undefined).map((n) => ({ cidr: n.subnet as string, name: n.name }));
          const claimed = Object.keys(claims.subnets);
          if (request.subnet !== undefined) {
            const wanted = parseCidr(request.subnet);
            const clash = wanted && own.find((n) => subnetsOverlap(parseCidr(n.cidr) as Ipv4Subnet, wanted));
            if (clash) throw errors.failedPrecondition('SUBNET_OVERLAP', `Pool overlaps with other one on this address space: ${formatCidr(wanted)} overlaps ${clash.cidr} of network ${clash.name}`);
            const host = wanted && request.hostSubnets.find((s) => subnetsOverlap(s, wanted));
            if (host) throw errors.failedPrecondition('SUBNET_OVERLAP', `Pool overlaps with other one on this address space: ${formatCidr(wanted)} overlaps ${formatCidr(host)}, in use on the host`);
          }
          const choice = planSubnet(request, () => {
            const drawn = drawSubnet([...own.map((n) => n.cidr), ...claimed].map((c) => parseCidr(c) as Ipv4Subnet).concat(request.hostSubnets));
            if (!drawn) throw errors.failedPrecondition('NO_FREE_SUBNET', 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
            return drawn;
          });
          record.subnet = choice.subnet;
          record.gateway = choice.gateway;
          if (choice.ipRange !== undefined) record.ipRange = choice.ipRange;
          if (choice.auxAddresses !== undefined) record.auxAddresses = choice.auxAddresses;
          if (request.subnet !== undefined) record.subnetGiven = true;
          if (request.gateway !== undefined) record.gatewayGiven = true;
          let bridge = request.bridge;
          if (bridge === undefined) {
            const taken = new Set([...Object.keys(claims.bridges), ...existing.map((n) => n.bridge ?? ''), ...request.hostLinks]);
            for (let i = 0; bridge === undefined; i++) if (!taken.has(`berth${i}`)) bridge = `berth${i}`;
          } else {
            const user = existing.find((n) => n.bridge === bridge);
            if (user) throw errors.failedPrecondition('BRIDGE_NAME_IN_USE', `bridge name ${bridge} is used by network ${user.name}`);
            if (claims.bridges[bridge] === undefined && request.hostLinks.includes(bridge)) {
              throw errors.failedPrecondition('BRIDGE_NAME_IN_USE', `bridge name ${bridge} is an existing interface on the host; berth makes its own bridges`);
            }
          }
          record.bridge = bridge;
          claim(claims, record);
          writeJsonAtomic(recordPath(record.id), record);
          return record;
        });
      });
    },
    find,
    list,
    remove(id) {
      locked(() => {
        if (!existsSync(recordPath(id))) throw errors.notFound('NETWORK_NOT_FOUND', `network ${id} not found`);
        unlinkSync(recordPath(id));
        try {
          unlinkSync(leasePath(id));
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw err;
        }
        // The claims go with the record: withClaims drops those whose record is gone.
        withClaims(() => undefined);
      });
    },
    lease(networkId, containerId, requested) {
      return locked(() => {
        const record = readJsonFile<NetworkRecord>(recordPath(networkId));
        if (!record || record.subnet === undefined || record.gateway === undefined) throw errors.notFound('NETWORK_NOT_FOUND', `network ${networkId} not found`);
        // A network whose claims a reboot wiped claims them again before it is used.
        withClaims((claims) => claim(claims, record));
        const leases = readLeases(networkId);
        const held = Object.entries(leases).find(([, owner]) => owner === containerId);
        if (held && (requested === undefined || held[0] === requested)) return held[0];
        if (held) delete leases[held[0]];
        const ip = pickAddress({ ...record, subnet: record.subnet, gateway: record.gateway }, new Set(Object.keys(leases)), requested);
        leases[ip] = containerId;
        writeJsonAtomic(leasePath(networkId), leases);
        return ip;
      });
    },
    release(containerId) {
      locked(() => {
        for (const network of list()) {
          const leases = readLeases(network.id);
          const mine = Object.keys(leases).filter((ip) => leases[ip] === containerId);
          if (mine.length === 0) continue;
          for (const ip of mine) delete leases[ip];
          writeJsonAtomic(leasePath(network.id), leases);
        }
        withClaims((claims) => {
          for (const [k, c] of Object.entries(claims.ports)) if (c.containerId === containerId) delete claims.ports[k];
        });
      });
    },
    publishedPorts(containerId) {
      const claims = readJsonFile<Claims>(claimsPath) ?? { subnets: {}, bridges: {}, ports: {} };
      return Object.entries(claims.ports).flatMap(([key, c]) => {
        const [protocol, hostIp = '', hostPort] = key.split('/');
        if (c.containerId !== containerId || c.containerPort === undefined) return [];
        return [{ protocol: protocol as PortProtocol, hostIp, hostPort: Number(hostPort), containerPort: c.containerPort }];
      });
    },
    releaseLease(networkId, containerId) {
      locked(() => {
        const leases = readLeases(networkId);
        const mine = Object.keys(leases).filter((ip) => leases[ip] === containerId);
        if (mine.length === 0) return;
        for (const ip of mine) delete leases[ip];
        writeJsonAtomic(leasePath(networkId), leases);
      });
    },
    leases: (networkId) => readLeases(networkId),
    claimPorts(owner, bindings, listening) {
      if (bindings.length === 0) return [];
      return locked(() => withClaims((claims) => {
        const chosen: PublishedPort[] = [];
        const bound = new Map<PortProtocol, Set<number>>();
        const hostBound = (protocol: PortProtocol) => {
          let set = bound.get(protocol);
          if (!set) bound.set(protocol, (set = listening(protocol)));
          return set;
        };
        const taken = (protocol: PortProtocol, hostIp: string, port: number): boolean => {
          if (hostBound(protocol).has(port)) return true;
          const clash = (ip: string) => ip === '' || hostIp === '' || ip === hostIp;
          if (chosen.some((c) => c.protocol === protocol && c.hostPort === port && clash(c.hostIp))) return true;
          return Object.entries(claims.ports).some(([key, c]) => {
            if (c.containerId === owner.containerId) return false;
            const [proto, ip = '', p] = key.split('/');
            return proto === protocol && Number(p) === port && clash(ip);
          });
        };
        const [low, high] = ephemeralRange();
        for (const b of bindings) {
          let port: number | undefined;
          if (b.hostPort !== 0 && b.hostPortEnd === undefined) {
            if (taken(b.protocol, b.hostIp, b.hostPort)) throw portInUse(b, b.hostPort);
            port = b.hostPort;
          } else {
            const [from, to] = b.hostPort === 0 ? [low, high] : [b.hostPort, b.hostPortEnd as number];
            for (let p = from; p <= to && port === undefined; p++) if (!taken(b.protocol, b.hostIp, p)) port = p;
            if (port === undefined) throw portInUse(b, b.hostPort === 0 ? 0 : b.hostPort, b.hostPortEnd);
          }
          chosen.push({ containerPort: b.containerPort, protocol: b.protocol, hostIp: b.hostIp, hostPort: port });
        }
        for (const c of chosen) claims.ports[`${c.protocol}/${c.hostIp}/${c.hostPort}`] = { containerId: owner.containerId, netns: owner.netns, containerPort: c.containerPort };
        return chosen;
      }));
    },
  };
}

function portInUse(b: PortBinding, port: number, end?: number): Error {
  const where = `${b.hostIp || '0.0.0.0'}:${port === 0 ? '(ephemeral)' : end !== undefined ? `${port}-${end}` : port}`;
  return errors.failedPrecondition('PORT_IN_USE', `Bind for ${where} failed: port is already allocated`);
}

/** The kernel's ephemeral port range (Docker draws published ports from it too). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && low > 0 && high >= low) return [low, high];
  } catch {
    // fall through to Docker's defaults
  }
  return [32768, 60999];
}
