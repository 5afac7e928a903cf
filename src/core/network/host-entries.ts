/**
 * What a container's /etc/hosts and /etc/resolv.conf get from its flags, with the docker CLI's
 * rules and messages: `--add-host NAME:IP` (and `NAME:host-gateway`), `--dns`, `--dns-search`,
 * `--dns-option`, `--link NAME[:ALIAS]`, and the resolv.conf those make.
 */
import { isIP } from 'node:net';

import { errors } from '../../base/index.js';

/** Docker's special address of `--add-host`: the host, as the container reaches it. */
export const hostGateway = 'host-gateway';

/** One `--add-host` value, checked (docker CLI's ValidateExtraHost); returned as given (IPv6 brackets dropped). */
export function parseExtraHost(value: string): string {
  const colon = value.indexOf(':');
  if (colon <= 0) throw errors.invalidArgument('INVALID_ADD_HOST', `invalid argument "${value}" for "--add-host" flag: bad format for add-host: "${value}"`);
  const name = value.slice(0, colon);
  let ip = value.slice(colon + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (ip !== hostGateway && isIP(ip) === 0) {
    throw errors.invalidArgument('INVALID_ADD_HOST', `invalid argument "${value}" for "--add-host" flag: invalid IP address in add-host: "${ip}"`);
  }
  return `${name}:${ip}`;
}

/** `--dns ADDRESS` (an IPv4 or IPv6 address). */
export function parseDnsServer(value: string): string {
  if (isIP(value) === 0) throw errors.invalidArgument('INVALID_DNS', `invalid argument "${value}" for "--dns" flag: ${value} is not an ip address`);
  return value;
}

/** `--dns-search DOMAIN` (`.` alone clears the search list, as in Docker). */
export function parseDnsSearch(value: string): string {
  if (value === '.') return value;
  const domain = value.endsWith('.') && value !== '.' ? value.slice(0, -1) : value;
  if (domain === '' || domain.startsWith('.') || domain.length > 255 || !/^[a-zA-Z0-9_.-]+$/.test(domain)) {
    throw errors.invalidArgument('INVALID_DNS_SEARCH', `invalid argument "${value}" for "--dns-search" flag: ${value} is not a valid domain`);
  }
  return domain;
}

/** `--link NAME[:ALIAS]` as `NAME:ALIAS`. */
export function parseLink(value: string): { name: string; alias: string } {
  const [rawName = '', alias, ...rest] = value.split(':');
  const name = rawName.replace(/^\//, '');
  if (name === '' || rest.length > 0 || alias === '') throw errors.invalidArgument('INVALID_LINK', `invalid argument "${value}" for "--link" flag: bad format for links: ${value}`);
  return { name, alias: alias ?? name };
}

/** `NAME:IP` lines of --add-host as /etc/hosts lines; `hostGatewayIp` stands for host-gateway. */
export function extraHostLines(extraHosts: readonly string[], hostGatewayIp: string | undefined): string[] {
  return extraHosts.map((entry) => {
    const colon = entry.indexOf(':');
    const name = entry.slice(0, colon);
    const ip = entry.slice(colon + 1);
    if (ip === hostGateway && hostGatewayIp === undefined) {
      throw errors.failedPrecondition('NO_HOST_GATEWAY', `--add-host ${entry}: berth knows no address of the host for host-gateway (the default bridge network has no gateway)`);
    }
    return `${ip === hostGateway ? hostGatewayIp as string : ip}\t${name}`;
  });
}

/**
 * resolv.conf for a container: the nameservers (`--dns`, or the network's DNS, or the host's),
 * then the search domains (`--dns-search` replaces the base's; `.` clears them) and options
 * (`--dns-option` replaces the base's), as Docker writes it.
 */
export function composeResolvConf(base: string, override: { nameservers?: readonly string[]; search?: readonly string[]; options?: readonly string[] }): string {
  const lines = base.split('\n').filter((l) => l.trim() !== '');
  const keep = (l: string) => {
    if (override.nameservers && override.nameservers.length > 0 && /^\s*nameserver\s/.test(l)) return false;
    if (override.search && override.search.length > 0 && /^\s*(search|domain)\s/.test(l)) return false;
    if (override.options && override.options.length > 0 && /^\s*options\s/.test(l)) return false;
    return true;
  };
  const out = lines.filter(keep);
  if (override.nameservers && override.nameservers.length > 0) out.push(...override.nameservers.map((s) => `nameserver ${s}`));
  const search = (override.search ?? []).filter((s) => s !== '.');
  if (search.length > 0) out.push(`search ${search.join(' ')}`);
  if (override.options && override.options.length > 0) out.push(`options ${override.options.join(' ')}`);
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
