/**
 * `version` and `info` in Docker's shapes: the objects their `--format` templates see (the field
 * names of Docker's types.Version and types.Info, so `{{.Server.Version}}`, `{{.NCPU}}` and
 * `{{json .}}` work as with docker) and the text the docker CLI prints for them (docker 28's
 * layout, recorded in src/e2e/system-info.test.ts).
 */
import type { SystemFacts } from './engine.js';
import { binarySize } from './stats-view.js';

/** The Engine API version whose shapes berth's views follow (dockerd 20.10's). */
export const apiVersion = '1.41';

/** An object whose Go-only field names (`APIVersion` beside the JSON's `ApiVersion`) templates can read but `json` does not print. */
function withGoNames<T extends object>(obj: T, names: Record<string, unknown>): T {
  for (const [k, v] of Object.entries(names)) Object.defineProperty(obj, k, { value: v, enumerable: false });
  return obj;
}

export function versionView(clientVersion: string, facts: SystemFacts): Record<string, unknown> {
  // A remote engine's Server section is the daemon's own; the in-process engine's is this berth's.
  const remote = facts.server;
  const components = remote ? remote.components.map((c) => ({ Name: c.Name, Version: c.Version, Details: { ...c.Details } })) : [
    {
      Name: 'Engine', Version: clientVersion,
      Details: { ApiVersion: apiVersion, Arch: facts.goArch, BuildTime: '', Experimental: 'false', GitCommit: '', GoVersion: facts.nodeVersion, KernelVersion: facts.kernelVersion, MinAPIVersion: apiVersion, Os: 'linux' },
    },
    ...facts.runtimes.map((r) => ({ Name: r.name, Version: r.version ?? '', Details: { GitCommit: '' } })),
    ...(facts.initVersion ? [{ Name: 'docker-init', Version: facts.initVersion, Details: { GitCommit: '' } }] : []),
  ];
  // The client speaks the lower of the daemon's API version and its own (the negotiation).
  const spoken = remote && Number(remote.apiVersion.split('.')[1]) < Number(apiVersion.split('.')[1]) ? remote.apiVersion : apiVersion;
  const client = withGoNames({
    Version: clientVersion, ApiVersion: spoken, DefaultAPIVersion: apiVersion, GitCommit: '', GoVersion: process.version,
    Os: 'linux', Arch: goArchOf(process.arch), BuildTime: '', Context: 'default',
  }, { APIVersion: spoken });
  const serverApi = remote?.apiVersion ?? apiVersion;
  const minApi = remote?.minApiVersion ?? apiVersion;
  const server = withGoNames({
    Platform: { Name: '' }, Components: components, Version: remote?.version ?? clientVersion, ApiVersion: serverApi, MinAPIVersion: minApi,
    GitCommit: remote?.gitCommit ?? '', GoVersion: remote?.goVersion ?? facts.nodeVersion, Os: 'linux', Arch: facts.goArch, KernelVersion: facts.kernelVersion, BuildTime: remote?.buildTime ?? '',
  }, { APIVersion: serverApi, MinAPIVersion: minApi });
  return { Client: client, Server: server };
}

/** Go's name of a Node architecture (the client's OS/Arch). */
function goArchOf(arch: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch] ?? arch;
}

/** docker 28's `version` text. */
export function versionText(view: Record<string, unknown>): string {
  const c = view.Client as Record<string, string>;
  const s = view.Server as { Components: { Name: string; Version: string; Details: Record<string, string> }[] };
  const lines = [
    'Client:',
    ` Version:           ${c.Version}`,
    ` API version:       ${c.ApiVersion}`,
    ` Go version:        ${c.GoVersion}`,
    ` Git commit:        ${c.GitCommit}`,
    ` Built:             ${c.BuildTime}`,
    ` OS/Arch:           ${c.Os}/${c.Arch}`,
    ` Context:           ${c.Context}`,
    '',
    'Server:',
  ];
  for (const component of s.Components) {
    lines.push(` ${component.Name}:`);
    const d = component.Details;
    if (component.Name === 'Engine') {
      lines.push(
        `  Version:          ${component.Version}`,
        `  API version:      ${d.ApiVersion ?? ''} (minimum version ${d.MinAPIVersion ?? ''})`,
        `  Go version:       ${d.GoVersion ?? ''}`,
        `  Git commit:       ${d.GitCommit ?? ''}`,
        `  Built:            ${d.BuildTime ?? ''}`,
        `  OS/Arch:          ${d.Os ?? ''}/${d.Arch ?? ''}`,
        `  Experimental:     ${d.Experimental ?? ''}`,
      );
    } else {
      lines.push(`  Version:          ${component.Version}`);
      // Details as the docker CLI pads them: the key, then spaces up to column 18.
      for (const key of Object.keys(d).sort()) lines.push(`  ${key}:${' '.repeat(Math.max(0, 16 - key.length))} ${d[key] ?? ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function infoView(clientVersion: string, facts: SystemFacts): Record<string, unknown> {
  // The API's JSON key is `path`; templates name the docker CLI's Go field, `.Path` (not in the JSON).
  const runtimes = Object.fromEntries(facts.runtimes.map((r) => [r.name, Object.defineProperty({ path: r.path }, 'Path', { value: r.path, enumerable: false })]));
  const runtime = facts.runtimes.find((r) => r.name === facts.defaultRuntime);
  return {
    ID: '',
    Containers: facts.containers.total,
    ContainersRunning: facts.containers.running,
    ContainersPaused: facts.containers.paused,
    ContainersStopped: facts.containers.stopped,
    Images: facts.images,
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', facts.backingFilesystem], ['Supports d_type', 'true'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file', 'local'] },
    MemoryLimit: true, SwapLimit: true, KernelMemory: false, KernelMemoryTCP: false, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
    IPv4Forwarding: true, Debug: false, NFd: 0, OomKillDisable: false, NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: facts.cgroupVersion,
    NEventsListener: 0,
    KernelVersion: facts.kernelVersion,
    OperatingSystem: facts.operatingSystem,
    OSVersion: facts.osVersion,
    OSType: 'linux',
    Architecture: facts.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: [], Mirrors: [] },
    NCPU: facts.ncpu,
    MemTotal: facts.memTotal,
    GenericResources: null,
    DockerRootDir: facts.rootDir,
    HttpProxy: process.env.HTTP_PROXY ?? process.env.http_proxy ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? process.env.https_proxy ?? '',
    NoProxy: process.env.NO_PROXY ?? process.env.no_proxy ?? '',
    Name: facts.name,
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: facts.server?.version ?? clientVersion,
    Runtimes: runtimes,
    DefaultRuntime: facts.defaultRuntime,
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: 'docker-init',
    ContainerdCommit: { ID: '', Expected: '' },
    RuncCommit: { ID: runtime?.version ?? '', Expected: runtime?.version ?? '' },
    InitCommit: { ID: facts.initVersion },
    SecurityOptions: ['name=seccomp,profile=builtin'],
    CDISpecDirs: null,
    Warnings: null,
    ClientInfo: { Debug: false, Version: clientVersion, DefaultAPIVersion: apiVersion, GitCommit: '', GoVersion: process.version, Os: 'linux', Arch: goArchOf(process.arch), BuildTime: '', Context: 'default', Plugins: [], Warnings: null },
  };
}

/** docker 28's `info` text, for the fields berth has. */
export function infoText(view: Record<string, unknown>): string {
  const v = view as Record<string, never> & { DriverStatus: string[][]; Plugins: Record<string, string[] | null>; Runtimes: Record<string, unknown>; ClientInfo: Record<string, unknown>; Swarm: { LocalNodeState: string }; SecurityOptions: string[] };
  const lines = [
    'Client:',
    ` Version:    ${String(v.ClientInfo.Version)}`,
    ` Context:    ${String(v.ClientInfo.Context)}`,
    ' Debug Mode: false',
    '',
    'Server:',
    ` Containers: ${v.Containers}`,
    `  Running: ${v.ContainersRunning}`,
    `  Paused: ${v.ContainersPaused}`,
    `  Stopped: ${v.ContainersStopped}`,
    ` Images: ${v.Images}`,
    ` Server Version: ${v.ServerVersion}`,
    ` Storage Driver: ${v.Driver}`,
    ...v.DriverStatus.map(([k, val]) => `  ${k}: ${val}`),
    ` Logging Driver: ${v.LoggingDriver}`,
    ` Cgroup Driver: ${v.CgroupDriver}`,
    ` Cgroup Version: ${v.CgroupVersion}`,
    ' Plugins:',
    ...(['Volume', 'Network', 'Log'] as const).map((k) => `  ${k}: ${(v.Plugins[k] ?? []).join(' ')}`),
    ` Swarm: ${v.Swarm.LocalNodeState}`,
    ` Runtimes: ${Object.keys(v.Runtimes).sort().join(' ')}`,
    ` Default Runtime: ${v.DefaultRuntime}`,
    ` Init Binary: ${v.InitBinary}`,
    ' Security Options:',
    ...v.SecurityOptions.flatMap((o) => {
      const fields = Object.fromEntries(o.split(',').map((kv) => kv.split('=') as [string, string]));
      return [`  ${fields.name ?? o}`, ...(fields.profile ? [`   Profile: ${fields.profile}`] : [])];
    }),
    ` Kernel Version: ${v.KernelVersion}`,
    ` Operating System: ${v.OperatingSystem}`,
    ` OSType: ${v.OSType}`,
    ` Architecture: ${v.Architecture}`,
    ` CPUs: ${v.NCPU}`,
    ` Total Memory: ${binarySize(v.MemTotal as unknown as number)}`,
    ` Name: ${v.Name}`,
    ` Docker Root Dir: ${v.DockerRootDir}`,
    ' Debug Mode: false',
    ' Experimental: false',
    ` Live Restore Enabled: ${String(v.LiveRestoreEnabled)}`,
  ];
  return `${lines.join('\n')}\n\n`;
}
