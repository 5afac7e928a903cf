/** The VolumeEngine and NetworkEngine of a remote engine: Docker's volume and network endpoints. */
import type { ContainerRecord, CreateNetworkRequest, NetworkEngine, NetworkInfo, NetworkRecord, VolumeEngine, VolumeInfo } from '../api/index.js';
import type { DockerApi } from './docker-api.js';
import { compareVersions, filtersParam } from './docker-api.js';

interface DockerVolume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
}

interface DockerNetwork {
  Name: string;
  Id: string;
  Created: string;
  Driver: string;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string; IPRange?: string; AuxiliaryAddresses?: Record<string, string> | null }[] | null } | null;
  Internal: boolean;
  Attachable?: boolean;
  Containers?: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string }> | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

const anonymousLabel = 'com.docker.volume.anonymous';
const path = (ref: string) => encodeURIComponent(ref);

function volumeInfo(v: DockerVolume): VolumeInfo {
  const labels = v.Labels ?? {};
  return {
    name: v.Name, driver: 'local', labels, options: v.Options ?? {}, createdAt: v.CreatedAt,
    anonymous: Object.hasOwn(labels, anonymousLabel), mountpoint: v.Mountpoint,
  };
}

export function remoteVolumes(api: DockerApi): VolumeEngine {
  return {
    async create(request = {}) {
      return volumeInfo(await api.json<DockerVolume>('POST', '/volumes/create', {
        body: { Name: request.name ?? '', Driver: request.driver ?? 'local', DriverOpts: request.options ?? {}, Labels: request.labels ?? {} },
      }));
    },
    async inspect(name) {
      return volumeInfo(await api.json<DockerVolume>('GET', `/volumes/${path(name)}`));
    },
    async list(options = {}) {
      const answer = await api.json<{ Volumes: DockerVolume[] | null }>('GET', '/volumes', { query: { filters: filtersParam(options.filters) } });
      return (answer.Volumes ?? []).map(volumeInfo).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async remove(name, options = {}) {
      await api.call('DELETE', `/volumes/${path(name)}`, { query: { force: options.force === true } });
    },
    async prune(options = {}) {
      // API 1.42 prunes anonymous volumes unless all=true; before it, every unused one: the label says which are anonymous.
      const modern = compareVersions(await api.apiVersion(), '1.42') >= 0;
      const scope = modern ? (options.all ? ['all=true'] : []) : (options.all ? [] : [`label=${anonymousLabel}`]);
      const filters = [...(options.filters ?? []), ...scope];
      const answer = await api.json<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>('POST', '/volumes/prune', { query: { filters: filtersParam(filters) } });
      return { removed: answer.VolumesDeleted ?? [], reclaimedBytes: answer.SpaceReclaimed };
    },
    async usedBy(name) {
      const list = await api.json<{ Id: string }[]>('GET', '/containers/json', { query: { all: true, filters: filtersParam([`volume=${name}`]) } });
      return list.map((c) => c.Id);
    },
  };
}

const predefined = new Set(['bridge', 'host', 'none']);

function networkRecord(n: DockerNetwork): NetworkRecord {
  const ipam = n.IPAM?.Config?.[0];
  const options = n.Options ?? {};
  const bridge = options['com.docker.network.bridge.name'];
  const isPredefined = predefined.has(n.Name);
  return {
    id: n.Id,
    name: n.Name,
    driver: (n.Driver === 'host' || n.Driver === 'null' ? n.Driver : 'bridge'),
    created: n.Created,
    ...(bridge !== undefined ? { bridge } : {}),
    ...(ipam?.Subnet ? { subnet: ipam.Subnet } : {}),
    ...(ipam?.Gateway ? { gateway: ipam.Gateway } : {}),
    ...(ipam?.IPRange ? { ipRange: ipam.IPRange } : {}),
    ...(ipam?.AuxiliaryAddresses && Object.keys(ipam.AuxiliaryAddresses).length > 0 ? { auxAddresses: ipam.AuxiliaryAddresses } : {}),
    ...(n.Attachable ? { attachable: true } : {}),
    internal: n.Internal,
    dnsEnabled: n.Driver === 'bridge' && n.Name !== 'bridge',
    labels: n.Labels ?? {},
    // The view adds the bridge's name for the predefined network itself.
    options: isPredefined && bridge !== undefined ? Object.fromEntries(Object.entries(options).filter(([k]) => k !== 'com.docker.network.bridge.name')) : options,
    predefined: isPredefined,
  };
}

/** The containers a network's inspect lists, as records carrying just their endpoint on it. */
function networkInfo(n: DockerNetwork): NetworkInfo {
  const containers: ContainerRecord[] = Object.entries(n.Containers ?? {}).map(([id, c]) => {
    const [ip = '', prefix = '0'] = c.IPv4Address.split('/');
    return {
      id, name: c.Name, image: '', imageId: '', createdAt: '', snapshotKey: '',
      config: { Hostname: '', Image: '' },
      hostConfig: { autoRemove: false, binds: [], networkMode: n.Name, readonlyRootfs: false, privileged: false, capAdd: [], capDrop: [], securityOpt: [], ulimits: [], runtime: '' },
      state: { status: 'running', pid: 0, exitCode: 0, oomKilled: false, error: '', startedAt: '', finishedAt: '' },
      networkSettings: {
        sandboxKey: '', ports: [],
        networks: { [n.Name]: { networkId: n.Id, endpointId: c.EndpointID, ipAddress: ip, prefixLen: Number(prefix), gateway: n.IPAM?.Config?.[0]?.Gateway ?? '', macAddress: c.MacAddress, aliases: [] } },
      },
    };
  });
  return { ...networkRecord(n), containers };
}

export function remoteNetworks(api: DockerApi): NetworkEngine {
  return {
    async create(request: CreateNetworkRequest) {
      const aux = request.auxAddresses && Object.keys(request.auxAddresses).length > 0 ? request.auxAddresses : undefined;
      const config = request.subnet !== undefined || request.gateway !== undefined || request.ipRange !== undefined || aux !== undefined
        ? [{
          ...(request.subnet ? { Subnet: request.subnet } : {}), ...(request.gateway ? { Gateway: request.gateway } : {}), ...(request.ipRange ? { IPRange: request.ipRange } : {}),
          ...(aux ? { AuxiliaryAddresses: aux } : {}),
        }]
        : [];
      const created = await api.json<{ Id: string; Warning?: string }>('POST', '/networks/create', {
        body: {
          Name: request.name, CheckDuplicate: true, Driver: request.driver ?? 'bridge', Internal: request.internal === true, EnableIPv6: request.ipv6 === true, Attachable: request.attachable === true,
          IPAM: { Driver: 'default', Options: {}, Config: config }, Options: request.options ?? {}, Labels: request.labels ?? {},
        },
      });
      return networkRecord(await api.json<DockerNetwork>('GET', `/networks/${path(created.Id)}`));
    },
    async inspect(ref) {
      return networkInfo(await api.json<DockerNetwork>('GET', `/networks/${path(ref)}`));
    },
    async list() {
      const list = await api.json<DockerNetwork[]>('GET', '/networks');
      return list.map(networkInfo).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async remove(ref) {
      await api.call('DELETE', `/networks/${path(ref)}`);
      return ref;
    },
    async prune() {
      const answer = await api.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune');
      return answer.NetworksDeleted ?? [];
    },
    async connect(network, container, options = {}) {
      await api.call('POST', `/networks/${path(network)}/connect`, {
        body: { Container: container, EndpointConfig: { ...(options.aliases ? { Aliases: options.aliases } : {}), ...(options.ipv4Address ? { IPAMConfig: { IPv4Address: options.ipv4Address } } : {}) } },
      });
    },
    async disconnect(network, container, options = {}) {
      await api.call('POST', `/networks/${path(network)}/disconnect`, { body: { Container: container, Force: options.force === true } });
    },
  };
}
