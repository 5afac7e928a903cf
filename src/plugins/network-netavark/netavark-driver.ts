/**
 * The network driver on netavark and aardvark-dns (Debian's packages, Podman's network stack),
 * driven through netavark's JSON interface: `netavark --config DIR setup|teardown NETNS < options`
 * with the options Podman writes (container id and name, per-network interface, static address,
 * MAC and aliases, the networks' definitions, port mappings). netavark makes the bridge, the veth
 * pair, the routes, the NAT and port-forwarding firewall rules and starts aardvark-dns for
 * networks with DNS; berth writes no firewall rule and no bridge itself.
 *
 * A container's network namespace is persistent: a bind mount of a new namespace at
 * `<netnsDir>/<container id>` made by util-linux's `unshare --net=FILE` (as `ip netns add` does,
 * in berth's own directory), so it can be set up before the runtime starts the container and torn
 * down after it exited, by whichever berth process cleans up.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';

import { errnoCode, errors, readdirSyncOrEmpty } from '../../base/index.js';
import type { Ipv4Subnet, NetworkDriver, PortProtocol, SetupRequest, SetupResult } from '../../core/network/index.js';
import { parseCidr, parseIpv4 } from '../../core/network/index.js';
import { LOCK_EX, LOCK_NB, MNT_DETACH, flock, pinLinkAddress, umount2 } from '../../sys/index.js';

export interface NetavarkOptions {
  /** Namespaces of this store's containers (on /run). */
  netnsDir: string;
  /** netavark's --config: aardvark-dns's configuration and netavark's lock (on /run). */
  configDir: string;
  netavark?: string;
  aardvark?: string;
}

/** Where Debian installs them (Podman's libexec directory elsewhere). */
const candidates = {
  netavark: ['/usr/lib/podman/netavark', '/usr/libexec/podman/netavark', '/usr/local/libexec/podman/netavark'],
  aardvark: ['/usr/lib/podman/aardvark-dns', '/usr/libexec/podman/aardvark-dns', '/usr/local/libexec/podman/aardvark-dns'],
};

function locate(kind: keyof typeof candidates, given: string | undefined): string {
  if (given !== undefined) return given;
  const found = candidates[kind].find((p) => existsSync(p));
  if (!found) {
    throw errors.unavailable('NETAVARK_MISSING', `${kind === 'netavark' ? 'netavark' : 'aardvark-dns'} is not installed (looked in ${candidates[kind].join(', ')}): install the Debian packages netavark and aardvark-dns (scripts/setup.sh does)`);
  }
  return found;
}

/**
 * netavark locks its own config directory, which is per store; the host's firewall chains and
 * bridges are shared by every store, and two netavark processes creating the same iptables chain
 * at once fail ("Chain already exists"). One host-wide lock serialises them, across processes
 * (flock, polled so that the event loop stays free) and within this one (a promise chain).
 */
const hostLockPath = '/run/berth/netavark.lock';
let inProcess: Promise<unknown> = Promise.resolve();

async function withHostLock<T>(fn: () => Promise<T>): Promise<T> {
  const run = inProcess.then(async () => {
    mkdirSync('/run/berth', { recursive: true });
    const fd = openSync(hostLockPath, 'a', 0o600);
    try {
      for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
        try {
          flock(fd, LOCK_EX | LOCK_NB);
          break;
        } catch (err) {
          if (errnoCode(err) !== 'EAGAIN' && errnoCode(err) !== 'EWOULDBLOCK') throw err;
          await new Promise((r) => setTimeout(r, delay));
        }
      }
      return await fn();
    } finally {
      closeSync(fd);
    }
  });
  inProcess = run.catch(() => undefined);
  return run;
}

export function createNetavarkDriver(options: NetavarkOptions): NetworkDriver {
  const namespacePath = (id: string) => join(options.netnsDir, id);

  const netavark = (command: 'setup' | 'teardown', netns: string, input: unknown) => withHostLock(() => runNetavark(command, netns, input));

  async function runNetavark(command: 'setup' | 'teardown', netns: string, input: unknown): Promise<string> {
    const binary = locate('netavark', options.netavark);
    const aardvark = locate('aardvark', options.aardvark);
    mkdirSync(join(options.configDir, 'aardvark-dns'), { recursive: true, mode: 0o700 });
    const child = spawn(binary, ['--config', options.configDir, '--aardvark-binary', aardvark, command, netns], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
    const status = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? 9 : 0)));
      child.stdin.end(JSON.stringify(input));
    }).catch((err: unknown) => {
      throw errors.unavailable('NETAVARK_FAILED', `netavark ${command}: ${(err as Error).message}`, { cause: err });
    });
    if (status !== 0) {
      let message = stdout.trim() || stderr.trim();
      try {
        message = (JSON.parse(stdout || stderr) as { error?: string }).error ?? message;
      } catch {
        // not JSON: the text as it is
      }
      throw errors.unavailable('NETAVARK_FAILED', `netavark ${command} failed: ${message.split('\n').filter((l) => !l.includes('syslog')).join(' ')}`);
    }
    return stdout;
  }

  return {
    namespacePath,
    hostState() {
      const subnets: Ipv4Subnet[] = [];
      // Read from the kernel, not from `ip -j` (iproute2 is not on every host, and two spawns cost a
      // bridge run about 10 ms): links from sysfs, addresses from Node, routes from /proc/net/route.
      const links = readdirSyncOrEmpty('/sys/class/net');
      for (const addresses of Object.values(networkInterfaces())) {
        for (const a of addresses ?? []) {
          if (a.family !== 'IPv4' || a.internal || !a.cidr) continue;
          const s = parseCidr(a.cidr);
          if (s) subnets.push(s);
        }
      }
      subnets.push(...kernelRoutes(readText('/proc/net/route')));
      // The host's resolvers: a network drawn over one would cut DNS off.
      for (const line of readText('/etc/resolv.conf').split('\n')) {
        const m = /^\s*nameserver\s+(\S+)/.exec(line);
        const ip = m ? parseIpv4(m[1] as string) : undefined;
        if (ip !== undefined) subnets.push({ base: ip, prefix: 32 });
      }
      return { subnets, links };
    },
    listeningPorts(protocol: PortProtocol) {
      const out = new Set<number>();
      const files = protocol === 'tcp' ? ['tcp', 'tcp6'] : protocol === 'udp' ? ['udp', 'udp6'] : [];
      for (const file of files) {
        for (const line of readText(`/proc/net/${file}`).split('\n').slice(1)) {
          const fields = line.trim().split(/\s+/);
          const local = fields[1];
          const state = fields[3];
          if (!local || !state) continue;
          // TCP: listening sockets (0A); UDP: every bound socket.
          if (protocol === 'tcp' && state !== '0A') continue;
          out.add(Number.parseInt(local.split(':')[1] ?? '0', 16));
        }
      }
      return out;
    },
    async createNamespace(id) {
      const path = namespacePath(id);
      mkdirSync(options.netnsDir, { recursive: true, mode: 0o700 });
      if (isNamespaceMount(path)) return path;
      closeSync(openSync(path, 'a', 0o600));
      const result = spawnSync('unshare', [`--net=${path}`, 'true'], { encoding: 'utf8' });
      if (result.status !== 0) {
        removeFile(path);
        throw errors.unavailable('NETNS_FAILED', `Cannot create the network namespace of container ${id}: unshare: ${(result.error?.message ?? result.stderr).trim()}`);
      }
      return path;
    },
    async removeNamespace(id) {
      const path = namespacePath(id);
      try {
        umount2(path, MNT_DETACH);
      } catch (err) {
        if (!['EINVAL', 'ENOENT'].includes(errnoCode(err) ?? '')) throw err;
      }
      removeFile(path);
    },
    async setup(netns, request) {
      const input = netavarkOptions(request);
      let out: string;
      try {
        out = await withHostLock(async () => {
          const stdout = await runNetavark('setup', netns, input);
          for (const e of request.endpoints) if (e.network.bridge !== undefined) pinBridgeAddress(e.network.bridge);
          return stdout;
        });
      } catch (err) {
        // A failed setup can leave a bridge or firewall rules behind: undo what it did.
        await netavark('teardown', netns, input).catch(() => undefined);
        throw err;
      }
      const status = JSON.parse(out) as Record<string, {
        dns_server_ips?: string[]; dns_search_domains?: string[];
        interfaces?: Record<string, { mac_address: string; subnets?: { ipnet: string; gateway?: string }[] }>;
      }>;
      const result: SetupResult = { endpoints: {}, dnsServers: [], dnsSearch: [] };
      for (const e of request.endpoints) {
        const block = status[e.network.id];
        const iface = block?.interfaces?.[e.interfaceName];
        const net = iface?.subnets?.[0];
        const [ip = e.ip, prefix = '0'] = (net?.ipnet ?? '').split('/');
        result.endpoints[e.network.name] = { ip, prefixLen: Number(prefix), gateway: net?.gateway ?? '', mac: iface?.mac_address ?? e.mac };
        for (const s of block?.dns_server_ips ?? []) if (!result.dnsServers.includes(s)) result.dnsServers.push(s);
        for (const s of block?.dns_search_domains ?? []) if (!result.dnsSearch.includes(s)) result.dnsSearch.push(s);
      }
      return result;
    },
    async teardown(netns, request) {
      if (!isNamespaceMount(netns)) return; // gone with a reboot: the bridge and rules went with it
      await netavark('teardown', netns, netavarkOptions(request));
    },
    namespaces: () => readdirSyncOrEmpty(options.netnsDir).filter((n) => /^[0-9a-f]{64}$/.test(n)),
    namespaceMounted: (id) => isNamespaceMount(namespacePath(id)),
    dnsRecords() {
      const dir = join(options.configDir, 'aardvark-dns');
      const out: { network: string; containerId: string }[] = [];
      const names = readdirSyncOrEmpty(dir);
      // aardvark-dns's files: the network's name; a line of gateway addresses, then `ID IPv4s IPv6s NAMES` per container.
      for (const network of names.filter((n) => n !== 'aardvark.pid')) {
        for (const line of readText(join(dir, network)).split('\n').slice(1)) {
          const id = line.split(' ')[0] ?? '';
          if (/^[0-9a-f]{64}$/.test(id)) out.push({ network, containerId: id });
        }
      }
      return out;
    },
    hostResolvConf() {
      const lines = readText('/etc/resolv.conf').split('\n');
      const kept = lines.filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l));
      if (!kept.some((l) => /^\s*nameserver\s/.test(l))) kept.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4'); // Docker's fallback
      return `${kept.filter((l, i) => l !== '' || i < kept.length - 1).join('\n')}\n`;
    },
  };
}

/**
 * netavark 1.4 makes a bridge without setting its MAC address, so the kernel gives it the lowest
 * address among its ports, and changes it whenever a port with a lower one joins or the port whose
 * address it has leaves. A container that resolved its gateway before such a change sends to an
 * address nothing answers until its ARP entry goes stale: a build step's downloads stalled for
 * ~40 s when the concurrent build's step ended. Docker sets its bridges' addresses (dockerd 20.10's
 * bridge for `docker network create`: addr_assign_type 3, 02:42:…, observed); berth pins the
 * address the bridge has when its first endpoint joins (addr_assign_type 3: set by the user), so
 * that nothing changes for anyone who already resolved it. Called under the host lock.
 */
function pinBridgeAddress(bridge: string): void {
  if (readText(`/sys/class/net/${bridge}/addr_assign_type`).trim() === '3') return;
  try {
    pinLinkAddress(bridge);
  } catch (err) {
    throw errors.unavailable('BRIDGE_ADDRESS_FAILED', `Cannot keep the MAC address of bridge ${bridge}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * netavark's options for a container (the JSON Podman's libnetwork writes). Networks go to
 * netavark by id, not by name: netavark names its firewall chains after the network's name, and
 * every berth store has its own `bridge` — by name, one store's teardown would remove the chains
 * another store's containers use.
 */
function netavarkOptions(request: SetupRequest) {
  const networks: Record<string, unknown> = {};
  const info: Record<string, unknown> = {};
  for (const e of request.endpoints) {
    const n = e.network;
    networks[n.id] = {
      interface_name: e.interfaceName, static_ips: [e.ip], static_mac: e.mac, ...(n.dnsEnabled ? { aliases: e.aliases } : {}),
    };
    info[n.id] = {
      name: n.id, id: n.id, driver: 'bridge', network_interface: n.bridge, created: n.created,
      subnets: [{ subnet: n.subnet, gateway: n.gateway }], ipv6_enabled: false, internal: n.internal, dns_enabled: n.dnsEnabled,
      ipam_options: { driver: 'host-local' },
      // Docker's bridge networks cannot reach each other: netavark's isolation rules.
      options: { isolate: 'true' },
    };
  }
  return {
    container_id: request.containerId,
    container_name: request.containerName,
    networks,
    network_info: info,
    port_mappings: request.ports.map((p) => ({ host_ip: p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol })),
    ...(request.dnsServers && request.dnsServers.length > 0 ? { dns_servers: request.dnsServers } : {}),
  };
}

/** The main table's IPv4 routes other than the default one, from /proc/net/route (little-endian hex). */
export function kernelRoutes(table: string): Ipv4Subnet[] {
  const out: Ipv4Subnet[] = [];
  for (const line of table.split('\n').slice(1)) {
    const [, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (!destination || !mask || !/^[0-9A-Fa-f]{8}$/.test(destination) || !/^[0-9A-Fa-f]{8}$/.test(mask)) continue;
    const base = swapBytes(Number.parseInt(destination, 16));
    const maskValue = swapBytes(Number.parseInt(mask, 16));
    if (maskValue === 0) continue;
    const prefix = 32 - Math.log2(((~maskValue) >>> 0) + 1);
    if (!Number.isInteger(prefix)) continue;
    out.push({ base, prefix });
  }
  return out;
}

const swapBytes = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

/** Whether a namespace is mounted at `path` (a bind mount of nsfs). */
function isNamespaceMount(path: string): boolean {
  const text = readText('/proc/self/mountinfo');
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const point = (fields[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (point === path && line.includes(' - nsfs ')) return true;
  }
  return false;
}
