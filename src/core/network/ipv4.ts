/**
 * IPv4 addresses and subnets as numbers: parsing CIDR notation, containment and overlap, the
 * addresses a subnet can lease, and Docker's MAC address for an IP. Pure functions.
 */
import { errors } from '../../base/index.js';

export interface Ipv4Subnet {
  /** The network address, as an unsigned 32-bit number. */
  base: number;
  prefix: number;
}

const ipPattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a number, or undefined when it is not a dotted IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const m = ipPattern.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255 || (m[i] as string).length > 1 && (m[i] as string).startsWith('0')) return undefined;
    value = value * 256 + part;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** `a.b.c.d/n`, or undefined. `strict` refuses host bits (Docker accepts them and keeps the network). */
export function parseCidr(text: string): Ipv4Subnet | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIpv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  return { base: (ip & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr(subnet: Ipv4Subnet): string {
  return `${formatIpv4(subnet.base)}/${subnet.prefix}`;
}

export function subnetSize(subnet: Ipv4Subnet): number {
  return 2 ** (32 - subnet.prefix);
}

export function subnetContains(subnet: Ipv4Subnet, ip: number): boolean {
  return ((ip & maskOf(subnet.prefix)) >>> 0) === subnet.base;
}

export function subnetsOverlap(a: Ipv4Subnet, b: Ipv4Subnet): boolean {
  return subnetContains(a, b.base) || subnetContains(b, a.base);
}

/** Whether `inner` lies entirely inside `outer`. */
export function subnetWithin(inner: Ipv4Subnet, outer: Ipv4Subnet): boolean {
  return inner.prefix >= outer.prefix && subnetContains(outer, inner.base);
}

/**
 * The addresses containers may lease in `subnet` (within `range` when given): not the network
 * address, not the broadcast address (for prefixes up to /30), not the gateway.
 */
export function leasableRange(subnet: Ipv4Subnet, range: Ipv4Subnet | undefined): { first: number; last: number } {
  const area = range ?? subnet;
  let first = area.base;
  let last = area.base + subnetSize(area) - 1;
  const subnetLast = subnet.base + subnetSize(subnet) - 1;
  if (subnet.prefix <= 30) {
    if (first === subnet.base) first++;
    if (last === subnetLast) last--;
  }
  return { first, last };
}

/** Docker's MAC address for a container's IPv4 address: 02:42 and the address's four bytes. */
export function macForIpv4(ip: number): string {
  const bytes = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** `aa:bb:cc:dd:ee:ff` (any case), or throws Docker's message. */
export function validateMac(mac: string): string {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw errors.invalidArgument('INVALID_MAC_ADDRESS', `${mac} is not a valid mac address`);
  return mac.toLowerCase();
}
