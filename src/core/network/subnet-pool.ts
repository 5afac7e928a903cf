/**
 * Subnets for bridge networks: the checks of `network create --subnet/--gateway/--ip-range` with
 * Docker's messages, and the pool berth draws subnets from when none is given: /24s from
 * 10.89.0.0 up (Podman's pool), around every subnet in use — the store's, other stores' on the
 * host, the host's own addresses and routes, and Docker's default 172.17.0.0/16.
 */
import { errors } from '../../base/index.js';
import type { Ipv4Subnet } from './ipv4.js';
import { formatCidr, formatIpv4, leasableRange, parseCidr, parseIpv4, subnetContains, subnetsOverlap, subnetWithin } from './ipv4.js';

/** Docker's docker0 subnet: never drawn, so berth's default bridge and Docker's can live on one host. */
export const dockerDefaultSubnet: Ipv4Subnet = { base: (172 << 24 >>> 0) + (17 << 16), prefix: 16 };

// 10.89.0.0 and 10.255.255.0, written as numbers: parsing them when the module loads compiled
// parseIpv4's pattern in every command's start-up.
const poolStart = ((10 << 24) >>> 0) + (89 << 16);
const poolEnd = ((10 << 24) >>> 0) + (255 << 16) + (255 << 8);

/** The first /24 of the pool that overlaps nothing in `used`, or undefined when none is left. */
export function drawSubnet(used: readonly Ipv4Subnet[]): Ipv4Subnet | undefined {
  const avoid = [...used, dockerDefaultSubnet];
  for (let base = poolStart; base <= poolEnd; base += 256) {
    const candidate = { base, prefix: 24 };
    const hit = avoid.find((u) => subnetsOverlap(u, candidate));
    if (!hit) return candidate;
    // Skip past a larger subnet in one step.
    if (hit.prefix < 24) base = Math.max(base, hit.base + 2 ** (32 - hit.prefix) - 256);
  }
  return undefined;
}

export interface SubnetChoice {
  subnet: string;
  gateway: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
}

/**
 * `--subnet`, `--gateway`, `--ip-range` as Docker checks them (one IPv4 subnet; a gateway or range
 * needs a subnet that holds it). Returns the subnet in canonical form and the gateway (the
 * subnet's first address unless given); `drawn` is used when no subnet is given.
 */
export function planSubnet(options: { subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }, drawn: () => Ipv4Subnet): SubnetChoice {
  const aux = Object.entries(options.auxAddresses ?? {});
  // The docker CLI's check (observed with docker 20.10): each one in the given subnet.
  if (options.subnet === undefined && aux.length > 0) throw errors.invalidArgument('INVALID_AUX_ADDRESS', `no matching subnet for aux-address ${aux[0]![1]}`);
  if (options.subnet === undefined && (options.gateway !== undefined || options.ipRange !== undefined)) {
    throw errors.invalidArgument('INVALID_SUBNET', 'every ip-range or gateway must have a corresponding subnet');
  }
  let subnet: Ipv4Subnet;
  if (options.subnet !== undefined) {
    const parsed = parseCidr(options.subnet);
    if (!parsed) {
      if (options.subnet.includes(':')) throw errors.notImplemented('IPV6_UNSUPPORTED', `Invalid subnet ${options.subnet}: berth's networks are IPv4 only`);
      throw errors.invalidArgument('INVALID_SUBNET', `Invalid subnet ${options.subnet} : invalid CIDR address: ${options.subnet}`);
    }
    if (parsed.prefix > 30) throw errors.invalidArgument('INVALID_SUBNET', `Invalid subnet ${options.subnet}: a bridge network needs room for a gateway and a container (/30 at most)`);
    subnet = parsed;
  } else subnet = drawn();
  let gateway: number;
  if (options.gateway !== undefined) {
    const g = parseIpv4(options.gateway);
    if (g === undefined) throw errors.invalidArgument('INVALID_GATEWAY', `invalid gateway address: ${options.gateway}`);
    if (!subnetContains(subnet, g)) throw errors.invalidArgument('INVALID_GATEWAY', `no matching subnet for gateway ${options.gateway}`);
    gateway = g;
  } else gateway = subnet.base + 1;
  let range: Ipv4Subnet | undefined;
  if (options.ipRange !== undefined) {
    range = parseCidr(options.ipRange);
    if (!range) throw errors.invalidArgument('INVALID_IP_RANGE', `Invalid ip-range ${options.ipRange}: invalid CIDR address: ${options.ipRange}`);
    if (!subnetWithin(range, subnet)) throw errors.invalidArgument('INVALID_IP_RANGE', `no matching subnet for range ${options.ipRange}`);
  }
  const auxAddresses: Record<string, string> = {};
  for (const [name, address] of aux) {
    const ip = parseIpv4(address);
    if (name === '' || ip === undefined || !subnetContains(subnet, ip)) throw errors.invalidArgument('INVALID_AUX_ADDRESS', `no matching subnet for aux-address ${address}`);
    auxAddresses[name] = formatIpv4(ip);
  }
  return { subnet: formatCidr(subnet), gateway: formatIpv4(gateway), ...(range ? { ipRange: formatCidr(range) } : {}), ...(aux.length > 0 ? { auxAddresses } : {}) };
}

/**
 * The next address to lease: `requested` when it is in the subnet and free (Docker's messages
 * otherwise), else the first free one of the range.
 */
export function pickAddress(network: { subnet: string; gateway: string; ipRange?: string; auxAddresses?: Record<string, string> }, leased: ReadonlySet<string>, requested?: string): string {
  // Auxiliary addresses are the user's: never a container's, asked for or not (dockerd's "Address already in use").
  const taken = new Set([...leased, ...Object.values(network.auxAddresses ?? {})]);
  const subnet = parseCidr(network.subnet) as Ipv4Subnet;
  const range = network.ipRange !== undefined ? parseCidr(network.ipRange) : undefined;
  const gateway = parseIpv4(network.gateway);
  if (requested !== undefined) {
    const ip = parseIpv4(requested);
    if (ip === undefined) throw errors.invalidArgument('INVALID_IP_ADDRESS', `invalid IPv4 address: ${requested}`);
    if (!subnetContains(subnet, ip)) throw errors.invalidArgument('ADDRESS_OUTSIDE_SUBNET', `Invalid address ${requested}: It does not belong to any of this network's subnets`);
    const size = 2 ** (32 - subnet.prefix);
    if (taken.has(requested) || ip === gateway || (subnet.prefix <= 30 && (ip === subnet.base || ip === subnet.base + size - 1))) {
      throw errors.failedPrecondition('ADDRESS_IN_USE', `Address already in use: ${requested}`);
    }
    return requested;
  }
  const { first, last } = leasableRange(subnet, range);
  for (let ip = first; ip <= last; ip++) {
    if (ip === gateway) continue;
    const text = formatIpv4(ip);
    if (!taken.has(text)) return text;
  }
  throw errors.failedPrecondition('SUBNET_EXHAUSTED', `no available IPv4 addresses on this network's address pools: ${network.ipRange ?? network.subnet}`);
}
