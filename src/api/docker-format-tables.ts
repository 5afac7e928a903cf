/**
 * The docker CLI's per-command --format settings: each column's header, what a bare `table`
 * prints, and the Go type of a row (named in "can't evaluate field" errors). Checked against the
 * docker 28 CLI in test/fixtures/format (ps, images, volume ls, network ls).
 */
import type { FormatOptions } from './docker-format.js';

/** ps/images/volume ls have a `{{.Label "k"}}` method; its header is the key as written. */
const labelHeader = (name: string): string => name;

export const dockerTables = {
  container: {
    structType: '*formatter.ContainerContext',
    defaultTable: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}',
    headers: {
      ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
      State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS',
      LocalVolumes: 'LOCAL VOLUMES', Platform: 'PLATFORM', Label: labelHeader,
    },
  },
  image: {
    structType: '*formatter.imageContext',
    defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}',
    headers: {
      ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
      Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'SIZE',
      Label: labelHeader,
    },
  },
  volume: {
    structType: '*formatter.volumeContext',
    defaultTable: 'table {{.Driver}}\t{{.Name}}',
    headers: {
      Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE',
      Group: 'GROUP', Availability: 'AVAILABILITY', Status: 'STATUS', Label: labelHeader,
    },
  },
  network: {
    structType: '*network.networkContext',
    defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
    headers: {
      ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv4: 'IPV4', IPv6: 'IPV6', Internal: 'INTERNAL',
      Labels: 'LABELS', CreatedAt: 'CREATED AT', Label: labelHeader,
    },
  },
  stats: {
    structType: '*container.statsContext',
    defaultTable: 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}',
    headers: {
      Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %',
      NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
    },
  },
} as const satisfies Record<string, FormatOptions>;
