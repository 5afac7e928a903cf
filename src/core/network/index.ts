/**
 * core/network: how containers and build steps are networked — the network modes, network
 * records and the NetworkStore (plugins/networks-local), the NetworkDriver that connects a
 * container's namespace (plugins/network-netavark), IPv4 subnet arithmetic and the pool
 * subnets are drawn from, and Docker's published-port flags.
 */
export { containerOfMode, joinsNetworks, networkModes, parseNetworkMode, sharesHostNetwork } from './network-mode.js';
export type { NetworkMode } from './network-mode.js';
export { bridgeNameOption, predefinedNetworks, validateNetworkName } from './network.js';
export type {
  EndpointRequest, NetworkDriver, NetworkDriverName, NetworkRecord, NetworkStore, NewNetwork, PortBinding, PortProtocol, PublishedPort, SetupRequest, SetupResult,
} from './network.js';
export { formatCidr, formatIpv4, leasableRange, macForIpv4, parseCidr, parseIpv4, subnetContains, subnetsOverlap, validateMac } from './ipv4.js';
export type { Ipv4Subnet } from './ipv4.js';
export { dockerDefaultSubnet, drawSubnet, pickAddress, planSubnet } from './subnet-pool.js';
export type { SubnetChoice } from './subnet-pool.js';
export { formatPortLines, formatPortsColumn, parseExpose, parsePublish, portMap, publishAll } from './port-specs.js';
export { composeResolvConf, extraHostLines, hostGateway, parseDnsSearch, parseDnsServer, parseExtraHost, parseLink } from './host-entries.js';
