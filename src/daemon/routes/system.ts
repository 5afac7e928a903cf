/** System routes: `/_ping`, `/version`, `/info`, and the swarm and plugin endpoints of a plain node. */
import { readFileSync } from 'node:fs';

import { infoView, versionView } from '../../api/index.js';
import { defaultApiVersion, minApiVersion } from '../server.js';
import type { Router } from '../router.js';

/** GET and HEAD /_ping's headers after the content's (also the fast lane's, server.ts). */
// No Builder-Version: 2 — docker 20.10 would switch `build` to BuildKit's gRPC session, which berth does not serve.
export const pingHeaders: Readonly<Record<string, string>> = { 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Builder-Version': '1', Swarm: 'inactive' };

export function addSystemRoutes(router: Router): void {
  const ping = (call: Parameters<Parameters<Router['add']>[2]>[0]) => call.text(200, 'OK', pingHeaders);
  router.add('GET', '/_ping', ping);
  router.add('HEAD', '/_ping', ping);

  router.add('GET', '/version', async (call) => {
    const server = versionView(call.daemon.version, await call.engine.system.facts()).Server as Record<string, unknown>;
    server.Platform = { Name: 'berth' };
    server.ApiVersion = defaultApiVersion;
    server.MinAPIVersion = minApiVersion;
    for (const c of server.Components as { Name: string; Details: Record<string, string> }[]) {
      if (c.Name === 'Engine') Object.assign(c.Details, { ApiVersion: defaultApiVersion, MinAPIVersion: minApiVersion });
    }
    call.send(200, server);
  });

  router.add('GET', '/info', async (call) => {
    const info = infoView(call.daemon.version, await call.engine.system.facts());
    delete info.ClientInfo;
    info.Name ||= 'berth';
    // What the host really has: docker 20.10's CLI warns about each of these that is false.
    info.BridgeNfIptables = procFlag('/proc/sys/net/bridge/bridge-nf-call-iptables');
    info.BridgeNfIp6tables = procFlag('/proc/sys/net/bridge/bridge-nf-call-ip6tables');
    info.IPv4Forwarding = procFlag('/proc/sys/net/ipv4/ip_forward');
    // cgroup v1's memory.oom_control can disable the OOM killer; v2 cannot (dockerd says the same).
    info.OomKillDisable = info.CgroupVersion === '1';
    call.send(200, info);
  });

  // A node outside any swarm: dockerd's 503 and message for every swarm endpoint.
  const notSwarm = (call: Parameters<Parameters<Router['add']>[2]>[0]) => {
    call.send(503, { message: 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.' });
  };
  for (const path of ['/swarm', '/nodes', '/services', '/tasks', '/secrets', '/configs', '/swarm/unlockkey']) router.add('GET', path, notSwarm);
  for (const path of ['/nodes/{id}', '/services/{id}', '/tasks/{id}', '/secrets/{id}', '/configs/{id}', '/services/{id}/logs', '/tasks/{id}/logs']) router.add('GET', path, notSwarm);
  for (const path of ['/swarm/init', '/swarm/join', '/swarm/leave', '/swarm/update', '/swarm/unlock', '/services/create', '/secrets/create', '/configs/create']) router.add('POST', path, notSwarm);

  router.add('GET', '/plugins', (call) => call.send(200, []));
}

function procFlag(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}
