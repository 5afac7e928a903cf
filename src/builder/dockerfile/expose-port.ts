import { errors } from '../../base/index.js';

export interface ExposePort {
  start: number;
  end: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

/**
 * Reads an (expanded) EXPOSE word: `80`, `80/tcp`, `53/udp`, `8000-8010/tcp`, as Docker's
 * nat.ParsePortSpec does for EXPOSE. Throws DOCKERFILE_EXPOSE for anything else.
 */
export function parseExposePort(spec: string): ExposePort {
  const m = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/.exec(spec);
  const protocol = (m?.[3] ?? 'tcp').toLowerCase();
  const start = Number(m?.[1]);
  const end = m?.[2] === undefined ? start : Number(m[2]);
  if (!m || !['tcp', 'udp', 'sctp'].includes(protocol) || start > 65535 || end > 65535 || end < start) {
    throw errors.invalidArgument('DOCKERFILE_EXPOSE', `Invalid port "${spec}" in EXPOSE: expected PORT[-PORT][/tcp|/udp|/sctp]`);
  }
  return { start, end, protocol: protocol as ExposePort['protocol'] };
}
