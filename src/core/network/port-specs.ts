/**
 * Docker's published-port flags: `-p [IP:][HOSTPORT:]CPORT[/PROTO]` with ranges (nat.ParsePortSpec's
 * rules and messages), `--expose PORT[-END][/PROTO]`, `-P`'s choice of exposed ports, and the text
 * `docker port` and `docker ps` show.
 */
import { errors } from '../../base/index.js';
import type { PortBinding, PortProtocol, PublishedPort } from './network.js';
import { parseIpv4 } from './ipv4.js';

const protocols: readonly PortProtocol[] = ['tcp', 'udp', 'sctp'];

const bad = (code: string, message: string) => errors.invalidArgument(code, message);

function splitProto(text: string): { port: string; protocol: PortProtocol } {
  const slash = text.indexOf('/');
  if (slash < 0) return { port: text, protocol: 'tcp' };
  const proto = text.slice(slash + 1).toLowerCase();
  if (!(protocols as readonly string[]).includes(proto)) throw bad('INVALID_PORT_SPEC', `invalid proto: ${text.slice(slash + 1)}`);
  return { port: text.slice(0, slash), protocol: proto as PortProtocol };
}

/** `N` or `N-M` as a range, or undefined when it is not one (ports are 0–65535). */
function parseRange(text: string): { start: number; end: number } | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  return { start, end };
}

/** One `-p` value as the bindings it asks for (a container range gives one binding per port). */
export function parsePublish(spec: string): PortBinding[] {
  const parts = spec.split(':');
  const last = parts.length - 1;
  const containerText = parts[last] as string;
  const hostText = parts.length >= 2 ? (parts[last - 1] as string) : '';
  let ipText = parts.length >= 3 ? parts.slice(0, last - 1).join(':') : '';
  const { port: containerPortText, protocol } = splitProto(containerText);
  if (ipText.startsWith('[') && ipText.endsWith(']')) ipText = ipText.slice(1, -1);
  if (ipText !== '') {
    if (parseIpv4(ipText) === undefined) {
      if (ipText.includes(':') && /^[0-9a-fA-F:.]+$/.test(ipText)) throw errors.notImplemented('IPV6_UNSUPPORTED', `invalid IP address: ${ipText}: berth publishes ports on IPv4 addresses only`);
      throw bad('INVALID_PORT_SPEC', `invalid IP address: ${ipText}`);
    }
  }
  if (containerPortText === '') throw bad('INVALID_PORT_SPEC', `No port specified: ${spec}<empty>`);
  const container = parseRange(containerPortText);
  if (!container || container.start === 0) throw bad('INVALID_PORT_SPEC', `invalid containerPort: ${containerPortText}`);
  let host: { start: number; end: number } | undefined;
  if (hostText !== '') {
    host = parseRange(hostText);
    if (!host) throw bad('INVALID_PORT_SPEC', `invalid hostPort: ${hostText}`);
  }
  const count = container.end - container.start + 1;
  if (host && host.start !== 0 && count > 1 && host.end - host.start + 1 !== count) {
    throw bad('INVALID_PORT_SPEC', `invalid ranges specified for container and host Ports: ${containerPortText} and ${hostText}`);
  }
  const out: PortBinding[] = [];
  for (let i = 0; i < count; i++) {
    const binding: PortBinding = { containerPort: container.start + i, protocol, hostIp: ipText === '0.0.0.0' ? '' : ipText, hostPort: 0 };
    if (host && host.start !== 0) {
      if (count > 1 || host.start === host.end) binding.hostPort = host.start + i;
      else {
        binding.hostPort = host.start;
        binding.hostPortEnd = host.end;
      }
    }
    out.push(binding);
  }
  return out;
}

/** `--expose PORT[-END][/PROTO]` as ExposedPorts keys (`80/tcp`). */
export function parseExpose(spec: string): string[] {
  const { port, protocol } = splitProto(spec);
  const range = parseRange(port);
  if (!range || range.start === 0) throw bad('INVALID_PORT_SPEC', `invalid range format for --expose: ${spec}, error: invalid port "${port}"`);
  const out: string[] = [];
  for (let p = range.start; p <= range.end; p++) out.push(`${p}/${protocol}`);
  return out;
}

/** `-P`: an ephemeral host port for each exposed port (`80/tcp`) that no `-p` publishes. */
export function publishAll(exposed: readonly string[], bindings: readonly PortBinding[]): PortBinding[] {
  const out: PortBinding[] = [];
  for (const key of exposed) {
    const { port, protocol } = splitProto(key);
    const containerPort = Number(port);
    if (!Number.isInteger(containerPort) || containerPort <= 0) continue;
    if (bindings.some((b) => b.containerPort === containerPort && b.protocol === protocol)) continue;
    out.push({ containerPort, protocol, hostIp: '', hostPort: 0 });
  }
  return out;
}

/** `docker port` lines: `80/tcp -> 0.0.0.0:8080`, sorted by container port. */
export function formatPortLines(ports: readonly PublishedPort[]): string[] {
  return sortPorts(ports).map((p) => `${p.containerPort}/${p.protocol} -> ${p.hostIp || '0.0.0.0'}:${p.hostPort}`);
}

/** `docker ps`'s PORTS: `0.0.0.0:8080->80/tcp, 53/udp` (exposed ports without a binding too). */
export function formatPortsColumn(ports: readonly PublishedPort[], exposed: readonly string[] = []): string {
  const published = sortPorts(ports).map((p) => `${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`);
  const rest = exposed.filter((key) => !ports.some((p) => `${p.containerPort}/${p.protocol}` === key));
  return [...published, ...rest].join(', ');
}

/** Docker's inspect `NetworkSettings.Ports` (and `HostConfig.PortBindings`): `{"80/tcp": [{HostIp, HostPort}]}`, exposed ports as null. */
export function portMap(ports: readonly { containerPort: number; protocol: string; hostIp: string; hostPort: number }[], exposed: readonly string[] = [], ipWhenEmpty = '0.0.0.0'): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const key of exposed) out[key] = null;
  for (const p of ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    const list = out[key] ?? [];
    list.push({ HostIp: p.hostIp || ipWhenEmpty, HostPort: p.hostPort === 0 ? '' : String(p.hostPort) });
    out[key] = list;
  }
  return out;
}

function sortPorts<T extends { containerPort: number; protocol: string }>(ports: readonly T[]): T[] {
  return [...ports].sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}
