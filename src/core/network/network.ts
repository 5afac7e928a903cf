/**
 * Networks: the records of a store's networks (Docker's `bridge`, `host` and `none`, and user
 * bridge networks), the NetworkStore that keeps them with their address leases and published
 * ports, and the NetworkDriver that connects a container's network namespace to them (netavark:
 * plugins/network-netavark).
 */
import { errors } from '../../base/index.js';
import type { Ipv4Subnet } from './ipv4.js';

export type NetworkDriverName = 'bridge' | 'host' | 'null';

export interface NetworkRecord {
  /** 64 hex digits. */
  id: string;
  name: string;
  driver: NetworkDriverName;
  /** RFC 3339 with nanoseconds: Docker's Created. */
  created: string;
  /** bridge: the bridge's interface name on the host. */
  bridge?: string;
  /** bridge: the subnet (CIDR), its gateway and the range leases come from (CIDR, within the subnet). */
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  /** `--aux-address NAME=IP`: addresses of the subnet never leased to a container (Docker's AuxiliaryAddresses). */
  auxAddresses?: Record<string, string>;
  /** `--attachable`, recorded as given: a local network lets any container join anyway. */
  attachable?: boolean;
  /** The user chose the subnet (`--subnet`); else berth drew it from its pool. */
  subnetGiven?: boolean;
  /** The user chose the gateway (`--gateway`): inspect echoes it in IPAM.Config, as dockerd does. */
  gatewayGiven?: boolean;
  /** No route out of the network (`--internal`). */
  internal: boolean;
  /** Containers resolve each other's names through aardvark-dns (user networks; not the default bridge, as in Docker). */
  dnsEnabled: boolean;
  labels: Record<string, string>;
  /** Driver options as given (`-o`). */
  options: Record<string, string>;
  /** `bridge`, `host`, `none`: made by berth, never removed. */
  predefined: boolean;
}

/** What `network create` asks the store for; the store draws what is not given. */
export interface NewNetwork {
  name: string;
  driver: NetworkDriverName;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
  attachable?: boolean;
  bridge?: string;
  internal: boolean;
  dnsEnabled: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
  predefined: boolean;
  /** Subnets in use on the host (its addresses and routes), to draw around. */
  hostSubnets: Ipv4Subnet[];
  /** Interface names that exist on the host. */
  hostLinks: string[];
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/** A published port as asked (`-p`): hostPort 0 is an ephemeral port; hostPortEnd a host range to pick one from. */
export interface PortBinding {
  containerPort: number;
  protocol: PortProtocol;
  /** '' for every address (Docker shows 0.0.0.0). */
  hostIp: string;
  hostPort: number;
  hostPortEnd?: number;
}

/** A published port as set up: the host port chosen. */
export interface PublishedPort {
  containerPort: number;
  protocol: PortProtocol;
  hostIp: string;
  hostPort: number;
}

/**
 * NetworkStore: the networks of one store, their address leases and the host ports its
 * containers publish. Every change happens under one lock; subnets and bridge names are also
 * claimed host-wide, so two stores on one host never draw the same ones.
 *
 * Errors: NotFound BERTH_E_NETWORK_NOT_FOUND; AlreadyExists BERTH_E_NETWORK_EXISTS;
 * FailedPrecondition BERTH_E_SUBNET_OVERLAP, BERTH_E_BRIDGE_NAME_IN_USE, BERTH_E_ADDRESS_IN_USE,
 * BERTH_E_PORT_IN_USE, BERTH_E_SUBNET_EXHAUSTED, BERTH_E_NO_FREE_SUBNET.
 */
export interface NetworkStore {
  create(request: NewNetwork): NetworkRecord;
  /** By exact name, full id or unique id prefix (Docker's order). */
  find(ref: string): NetworkRecord | undefined;
  /** Every network, sorted by name. */
  list(): NetworkRecord[];
  /** Removes the record, its leases and its host-wide claims. */
  remove(id: string): void;
  /**
   * Leases an address of the network to the container: `requested` (in the subnet, free) or the
   * next free one. A container holds at most one lease per network; asking again returns it.
   */
  lease(networkId: string, containerId: string, requested?: string): string;
  /** Releases every lease and port of the container (no error when it holds none). */
  release(containerId: string): void;
  /** Releases the container's lease on one network (no error when it holds none). */
  releaseLease(networkId: string, containerId: string): void;
  /** Address → container id, for one network. */
  leases(networkId: string): Record<string, string>;
  /**
   * Claims host ports for the container: each binding's port (or range) if free, an ephemeral one
   * for port 0. `listening(protocol)` gives the host's bound ports of that protocol. Claims of
   * containers whose namespace (`netns`) is gone are stale and reused.
   */
  claimPorts(owner: { containerId: string; netns: string }, bindings: readonly PortBinding[], listening: (protocol: PortProtocol) => Set<number>): PublishedPort[];
  /** The host ports the container has claimed (for a teardown rebuilt without its files). */
  publishedPorts(containerId: string): PublishedPort[];
}

/** One network a container joins, as the driver sets it up. */
export interface EndpointRequest {
  network: NetworkRecord;
  /** The interface in the container (`eth0`, `eth1`, ...). */
  interfaceName: string;
  ip: string;
  mac: string;
  /** Names the network's DNS resolves to the container, besides its name. */
  aliases: string[];
}

export interface SetupRequest {
  containerId: string;
  containerName: string;
  endpoints: EndpointRequest[];
  ports: PublishedPort[];
  /** Upstream resolvers aardvark-dns forwards other names to (default: the host's). */
  dnsServers?: string[];
}

export interface SetupResult {
  /** By network name: what the container got. */
  endpoints: Record<string, { ip: string; prefixLen: number; gateway: string; mac: string }>;
  /** aardvark-dns addresses for resolv.conf (user networks with DNS). */
  dnsServers: string[];
  dnsSearch: string[];
}

/**
 * NetworkDriver: a container's persistent network namespace and its connection to bridge
 * networks (interfaces, routes, NAT, published ports, DNS). Teardown and namespace removal are
 * idempotent: the monitor's clean-up, a reconciling command and `rm` may all run them.
 */
export interface NetworkDriver {
  /** The host's subnets (addresses and routes) and interface names. */
  hostState(): { subnets: Ipv4Subnet[]; links: string[] };
  /** Ports bound on the host for a protocol (listening TCP sockets, bound UDP ones). */
  listeningPorts(protocol: PortProtocol): Set<number>;
  /** Where the container's namespace is (or would be) mounted. */
  namespacePath(containerId: string): string;
  createNamespace(containerId: string): Promise<string>;
  removeNamespace(containerId: string): Promise<void>;
  setup(netns: string, request: SetupRequest): Promise<SetupResult>;
  teardown(netns: string, request: SetupRequest): Promise<void>;
  /** The host's resolv.conf for containers: loopback resolvers, which a container cannot reach, dropped. */
  hostResolvConf(): string;
  /** Container ids that have a namespace file (mounted or not) in this store's namespace directory. */
  namespaces(): string[];
  /** Whether the container's namespace is mounted (a namespace file that is not is a leftover too). */
  namespaceMounted(containerId: string): boolean;
  /** The DNS records aardvark-dns holds for this store's networks: network name and container id. */
  dnsRecords(): { network: string; containerId: string }[];
}

const namePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Network names berth takes: Docker's container-name rule (netavark and aardvark-dns use the name
 * in files and DNS). Docker 20.10 takes any string; berth refuses the rest by name.
 */
export function validateNetworkName(name: string): void {
  if (!namePattern.test(name)) {
    throw errors.invalidArgument('INVALID_NETWORK_NAME', `Invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
}

/** Docker's predefined networks: `bridge` (the default), `host`, `none`. */
export const predefinedNetworks = ['bridge', 'host', 'none'] as const;

/** The bridge option of `network create -o`. */
export const bridgeNameOption = 'com.docker.network.bridge.name';
