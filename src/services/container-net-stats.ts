import { readFileSync } from 'node:fs';

/**
 * A container's network I/O for `stats`: bytes received and sent on its interfaces (eth0,
 * eth1, ... — its networks; loopback is not counted, as in Docker), read from
 * /proc/<pid>/net/dev, which shows the network namespace of that process. Undefined when the
 * process is gone or the container has no networks of its own (`host`, `none`, `container:NAME`;
 * Docker shows 0B / 0B then).
 */
export function containerNetworkIo(pid: number, noNetworks: boolean): { rxBytes: number; txBytes: number } | undefined {
  if (pid <= 0 || noNetworks) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/net/dev`, 'utf8');
  } catch {
    return undefined;
  }
  return parseNetDev(text);
}

/** Sums the eth* lines of /proc/net/dev (`iface: rx_bytes rx_packets ... tx_bytes ...`). */
export function parseNetDev(text: string): { rxBytes: number; txBytes: number } {
  let rxBytes = 0;
  let txBytes = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (!/^eth\d+$/.test(name)) continue;
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    rxBytes += fields[0] ?? 0;
    txBytes += fields[8] ?? 0;
  }
  return { rxBytes, txBytes };
}
