/**
 * The CLI conformance table of issue 10: one scene, built by the same command lines on the
 * reference Docker (tools/record-cli-conformance.mjs, with the real docker CLI) and on berth
 * (src/e2e/cli-conformance.test.ts), then ~120 command lines run on both and compared after the
 * masks below. The recorder writes what Docker printed, masked, to test/fixtures/cli/*.json; the
 * test masks berth's output the same way and compares.
 *
 * The reference dockerd is shared by every helper on the machine, so each command line is scoped
 * to the scene (a `label=berthconf` filter, a repository argument, object names): other sessions'
 * containers and images never enter a recording. The few outputs that cannot be scoped (system df)
 * keep only their rows naming scene objects (mask `sceneRows`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, machine, release, totalmem } from 'node:os';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command line of the CLI under test (`docker ...` or `berth ...`), with `input` on stdin. */
export type CliRunner = (args: readonly string[], input?: Buffer) => CliResult;

export interface SceneStep {
  args: string[];
  /** The busybox root filesystem tarball on stdin (tools/make-busybox-rootfs.sh). */
  busybox?: boolean;
  /** The exit code the step must give (default 0). */
  code?: number;
}

/** The scene: one busybox tarball imported under a few names, two volumes, one network, three containers. */
export const sceneSteps: readonly SceneStep[] = [
  { args: ['network', 'create', '--label', 'berthconf=1', '--subnet', '10.231.77.0/24', 'cf-net'] },
  { args: ['import', '--change', 'CMD ["sh"]', '-', 'berthconf/bb:1'], busybox: true },
  { args: ['tag', 'berthconf/bb:1', 'berthconf/bb:latest'] },
  { args: ['import', '-', 'berthconf/bare:1'], busybox: true },
  // Imported twice under one name: the first becomes a dangling image, labelled so that a filter finds it.
  { args: ['import', '--change', 'LABEL berthconf=1', '--change', 'LABEL stage=old', '-', 'berthconf/lab:1'], busybox: true },
  { args: ['import', '--change', 'LABEL berthconf=1', '--change', 'ENV A=b', '-', 'berthconf/lab:1'], busybox: true },
  { args: ['volume', 'create', '--label', 'berthconf=1', '--label', 'use=data', 'cf-vol'] },
  { args: ['volume', 'create', '--label', 'berthconf=1', 'cf-spare'] },
  { args: ['create', '--name', 'cf-created', '--label', 'berthconf=1', '--label', 'tier=db', '-v', 'cf-vol:/data', '--network', 'none', 'berthconf/bb:1', 'true'] },
  { args: ['run', '--name', 'cf-exited', '--label', 'berthconf=1', '--network', 'none', 'berthconf/bb:1', 'sh', '-c', 'echo out; echo err >&2; exit 3'], code: 3 },
  {
    args: ['run', '-d', '--name', 'cf-running', '--label', 'berthconf=1', '--label', 'tier=web', '--network', 'cf-net', '--health-cmd', 'true',
      '--health-interval', '1s', '-e', 'FOO=bar', '-w', '/tmp', 'berthconf/bb:1', 'sleep', '1000'],
  },
];

/** Removes the scene (the recorder's clean-up on the shared dockerd): every object by its name or label, nothing else. */
export function teardownScene(run: CliRunner): void {
  run(['rm', '-f', 'cf-created', 'cf-exited', 'cf-running']);
  run(['volume', 'rm', '-f', 'cf-vol', 'cf-spare']);
  run(['network', 'rm', 'cf-net']);
  run(['rmi', '-f', 'berthconf/bb:1', 'berthconf/bb:latest', 'berthconf/bare:1', 'berthconf/lab:1']);
  // The dangling image of the double import is known by its label only.
  const dangling = run(['images', '-q', '--filter', 'label=berthconf']).stdout.split('\n').filter(Boolean);
  if (dangling.length > 0) run(['rmi', '-f', ...new Set(dangling)]);
}

export const sceneContainers = ['cf-created', 'cf-exited', 'cf-running'] as const;

/** What command lines refer to with placeholders: `{id:NAME}`, `{id12:NAME}`, `{image:NAME}`, `{since}`, `{until}`. */
export interface SceneContext {
  ids: Record<string, string>;
  images: Record<string, string>;
  /** Unix seconds before the scene's first step. */
  since: number;
}

/**
 * Masks, each applied to Docker's output and to berth's alike; every one is a difference that is
 * not berth's to remove:
 * - `ids` (always): container, image, network, endpoint and layer ids are random or depend on
 *   creation times: 64-hex (with or without `sha256:`) and 12-hex words.
 * - `times` (always): absolute times (RFC 3339 with any fraction, Docker's `2006-01-02 15:04:05
 *   -0700 MST`, unix seconds and nanoseconds) and human durations (`3 seconds`, `About a minute`).
 * - `roots` (always): the engine's data root (dockerd's /var/lib/berth-ref-docker, berth's store
 *   directory) and exec root.
 * - `cli` (always): the program's own name where it names itself (`See 'docker ps --help'`,
 *   `docker: Error response ...`).
 * - `versions`: the server's and client's versions, API versions, Go versions, git commits and
 *   build dates (berth is not Docker 20.10).
 * - `numbers`: every number (with its unit), where the values measure the machine or the store
 *   rather than the scene (system df sizes follow du of berth's store, stats follow the moment).
 * - `labelOrder`: sorts the `"Labels":"k=v,k=v"` lists of `--format json` rows (the docker CLI
 *   joins a Go map, whose order is random).
 * - `sortLines`: sorts the lines of a list of images: dockerd orders images by their creation
 *   time in whole seconds, so the scene's images (imported within a second) come in any order.
 * - `hostFields` (a case's): in `|`-separated fields, the field named with a fact of the machine
 *   (CPUs, memory, kernel release, OS name, cgroup version, architecture) becomes `<host:FACT>`
 *   when it is this machine's: the recording's machine and the test's need not be one, but each
 *   engine must report its own.
 * - `sceneRows`: drops the rows of a table that name no scene object (the reference dockerd is
 *   shared with other sessions; berth's store holds only the scene).
 * - `table` (a case's `table: true`): a table whose masked cells vary in width is cut into cells at
 *   its header's column starts, and rows are compared cell by cell, with the padding after each
 *   column's widest cell kept: so alignment and Docker's 3-space padding are still compared
 *   (not with `numbers` or `sceneRows`, where values of other widths set the padding).
 */
export type MaskName = 'versions' | 'numbers' | 'sceneRows' | 'labelOrder' | 'sortLines';

export interface ConformanceCase {
  /** Stable name, also the fixture's key. */
  id: string;
  /** Fixture file: test/fixtures/cli/<group>.json. */
  group: string;
  args: string[];
  masks?: MaskName[];
  /** `|`-separated output whose fields are the machine's facts (see MaskName). */
  hostFields?: (HostFact | '')[];
  /** Docker-style table output: compare cell by cell (see the `table` mask). */
  table?: boolean;
}

const scope = ['--filter', 'label=berthconf'];
const psA = (id: string, args: string[], table = false): ConformanceCase => ({ id, group: 'ps', args: ['ps', '-a', ...scope, ...args], table });
const images = (id: string, args: string[], table = false): ConformanceCase => ({ id, group: 'images', args: ['images', ...args], table });
const inspect = (id: string, args: string[]): ConformanceCase => ({ id, group: 'inspect', args: ['inspect', ...args] });
const err = (id: string, args: string[]): ConformanceCase => ({ id, group: 'errors', args });

export const conformanceCases: readonly ConformanceCase[] = [
  // events first: later lines run containers of their own (unlabelled, so filtered out anyway).
  { id: 'events-default', group: 'events', args: ['events', '--since', '{since}', '--until', '{until}', ...scope, '--filter', 'type=container', '--filter', 'event=create', '--filter', 'event=start', '--filter', 'event=die'] },
  { id: 'events-format', group: 'events', args: ['events', '--since', '{since}', '--until', '{until}', '--filter', 'container=cf-exited', '--filter', 'event=create', '--filter', 'event=die', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}} {{.Status}}'] },
  { id: 'events-json', group: 'events', args: ['events', '--since', '{since}', '--until', '{until}', '--filter', 'container=cf-created', '--format', '{{json .}}'] },
  { id: 'events-volume', group: 'events', args: ['events', '--since', '{since}', '--until', '{until}', '--filter', 'type=volume', '--filter', 'volume=cf-spare', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}'] },
  { id: 'events-image', group: 'events', args: ['events', '--since', '{since}', '--until', '{until}', '--filter', 'image=berthconf/bb:1', '--filter', 'type=image', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'] },
  { id: 'system-events', group: 'events', args: ['system', 'events', '--since', '{since}', '--until', '{until}', '--filter', 'container=cf-running', '--filter', 'event=start', '--format', '{{.Action}} {{.From}} {{.Actor.Attributes.tier}}'] },

  // ps
  psA('ps-a', [], true),
  { id: 'ps-running', group: 'ps', args: ['ps', ...scope], table: true },
  psA('ps-aq', ['-q']),
  psA('ps-no-trunc', ['--no-trunc'], true),
  psA('ps-l', ['-l'], true),
  psA('ps-n', ['-n', '2', '--format', '{{.Names}}']),
  psA('ps-s', ['-s', '--format', 'table {{.Names}}\t{{.Size}}'], true),
  psA('ps-filter-id', ['--filter', 'id={id12:cf-running}', '--format', '{{.Names}}']),
  psA('ps-filter-name', ['--filter', 'name=cf-ex', '--format', '{{.Names}}']),
  psA('ps-filter-label-kv', ['--filter', 'label=tier=web', '--format', '{{.Names}}']),
  psA('ps-filter-label-key', ['--filter', 'label=tier', '--format', '{{.Names}} {{.Label "tier"}}']),
  psA('ps-filter-status', ['--filter', 'status=exited', '--format', '{{.Names}} {{.State}}']),
  psA('ps-filter-status-or', ['--filter', 'status=created', '--filter', 'status=running', '--format', '{{.Names}} {{.State}}']),
  psA('ps-filter-exited', ['--filter', 'exited=3', '--format', '{{.Names}} {{.Status}}']),
  psA('ps-filter-ancestor', ['--filter', 'ancestor=berthconf/bb:1', '--format', '{{.Names}}']),
  psA('ps-filter-before', ['--filter', 'before=cf-running', '--format', '{{.Names}}']),
  psA('ps-filter-since', ['--filter', 'since=cf-created', '--format', '{{.Names}}']),
  psA('ps-filter-volume', ['--filter', 'volume=cf-vol', '--format', '{{.Names}} {{.Mounts}}']),
  psA('ps-filter-network', ['--filter', 'network=cf-net', '--format', '{{.Names}} {{.Networks}}']),
  psA('ps-filter-health', ['--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}']),
  psA('ps-filter-is-task', ['--filter', 'is-task=false', '--format', '{{.Names}}']),
  psA('ps-filter-and', ['--filter', 'label=tier', '--filter', 'status=running', '--format', '{{.Names}}']),
  psA('ps-format-table', ['--format', 'table {{.ID}}\t{{.Names}}\t{{.Image}}\t{{.Status}}\t{{.Ports}}'], true),
  { ...psA('ps-format-json', ['--format', 'json']), masks: ['labelOrder'] },
  // Not {{.Labels}}: the docker CLI joins a Go map, in random order.
  psA('ps-format-fields', ['--format', '{{.Names}}|{{.Command}}|{{.Networks}}|{{.LocalVolumes}}|{{.Mounts}}|{{.State}}|{{.RunningFor}}|{{.CreatedAt}}']),
  { id: 'container-ls', group: 'ps', args: ['container', 'ls', '-a', ...scope, '--format', '{{.Names}}'] },
  { id: 'container-list', group: 'ps', args: ['container', 'list', ...scope], table: true },

  // images
  images('images-repo', ['berthconf/bb'], true),
  images('images-a', ['-a', 'berthconf/bb'], true),
  images('images-digests', ['--digests', 'berthconf/bb'], true),
  images('images-q', ['-q', 'berthconf/bb']),
  images('images-no-trunc', ['--no-trunc', 'berthconf/bb'], true),
  { ...images('images-filter-reference', ['--filter', 'reference=berthconf/*', '--format', '{{.Repository}}:{{.Tag}}']), masks: ['sortLines'] },
  images('images-filter-dangling', ['--filter', 'dangling=true', '--filter', 'label=berthconf', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']),
  { ...images('images-filter-label', ['--filter', 'label=berthconf=1', '--format', '{{.Repository}}:{{.Tag}}']), masks: ['sortLines'] },
  { ...images('images-filter-before', ['--filter', 'before=berthconf/lab:1', '--filter', 'reference=berthconf/*', '--format', '{{.Repository}}:{{.Tag}}']), masks: ['sortLines'] },
  images('images-filter-since', ['--filter', 'since=berthconf/bare:1', '--filter', 'reference=berthconf/*', '--format', '{{.Repository}}:{{.Tag}}']),
  images('images-format-table', ['--format', 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}', 'berthconf/bb'], true),
  images('images-format-json', ['--format', 'json', 'berthconf/bare']),
  { id: 'image-ls', group: 'images', args: ['image', 'ls', 'berthconf/bb'], table: true },
  { id: 'image-list', group: 'images', args: ['image', 'list', '-q', 'berthconf/bare'] },

  // inspect
  inspect('inspect-state', ['-f', '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{.State.Running}} {{.State.Error}}', 'cf-created', 'cf-exited', 'cf-running']),
  inspect('inspect-mounts', ['-f', '{{json .Mounts}}', 'cf-created']),
  inspect('inspect-mounts-range', ['-f', '{{range .Mounts}}{{.Type}} {{.Name}} {{.Source}} {{.Destination}} {{.RW}}{{end}}', 'cf-created']),
  inspect('inspect-networks', ['-f', '{{json .NetworkSettings.Networks}}', 'cf-running']),
  inspect('inspect-health', ['-f', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}', 'cf-running']),
  inspect('inspect-config', ['-f', '{{json .Config.Labels}} {{.Config.Env}} {{.Config.WorkingDir}} {{json .Config.Cmd}} {{.Config.Image}} {{json .Config.Healthcheck}}', 'cf-running']),
  inspect('inspect-path-args', ['-f', '{{.Path}} {{json .Args}} {{.RestartCount}} {{.Driver}} {{.Platform}} {{.HostConfig.NetworkMode}}', 'cf-exited']),
  inspect('inspect-hostconfig', ['-f', '{{json .HostConfig.Binds}} {{json .HostConfig.RestartPolicy}} {{json .HostConfig.LogConfig}} {{.HostConfig.AutoRemove}}', 'cf-created']),
  inspect('inspect-type-container', ['--type', 'container', '-f', '{{.Name}}', 'cf-running']),
  { ...inspect('inspect-type-image', ['--type', 'image', '-f', '{{.RepoTags}}|{{.Os}}|{{.Architecture}}', 'berthconf/bb:1']), hostFields: ['', '', 'arch'] },
  inspect('inspect-type-volume', ['--type', 'volume', '-f', '{{.Name}} {{.Driver}} {{.Labels}}', 'cf-vol']),
  inspect('inspect-type-network', ['--type', 'network', '-f', '{{.Name}} {{.Driver}} {{range .IPAM.Config}}{{.Subnet}}{{end}}', 'cf-net']),
  inspect('inspect-size', ['-s', '-f', '{{.SizeRw}} {{.SizeRootFs}}', 'cf-exited']),
  inspect('inspect-image-fields', ['-f', '{{.Comment}}|{{.Author}}|{{.Parent}}|{{.Size}}|{{json .RepoDigests}}|{{json .Config.Cmd}}|{{.RootFS.Type}} {{len .RootFS.Layers}}', 'berthconf/bb:1']),
  inspect('inspect-image-config', ['-f', '{{json .Config.Cmd}} {{json .Config.Env}} {{json .Config.Labels}} {{json .Config.Entrypoint}} {{.Config.WorkingDir}}|{{.Config.User}}|{{.Parent}}', 'berthconf/bare:1']),
  inspect('inspect-image-labels', ['-f', '{{json .Config.Labels}} {{.Config.Env}}', 'berthconf/lab:1']),
  inspect('inspect-mixed', ['-f', '{{.Id}}', 'cf-exited', 'berthconf/bare:1']),
  { id: 'container-inspect', group: 'inspect', args: ['container', 'inspect', '-f', '{{.State.Status}}', 'cf-exited'] },

  // version, info
  { id: 'version-server', group: 'system', args: ['version', '--format', '{{.Server.Version}}'], masks: ['versions'] },
  { id: 'version-os', group: 'system', args: ['version', '--format', '{{.Client.Os}}|{{.Client.Arch}}|{{.Server.Os}}|{{.Server.Arch}}|{{.Server.APIVersion}}|{{.Server.KernelVersion}}'], hostFields: ['', 'arch', '', 'arch', '', 'kernel'] },
  { id: 'info-format', group: 'system', args: ['info', '--format', '{{.Driver}}|{{.OSType}}|{{.Architecture}}|{{.CgroupVersion}}|{{.NCPU}}|{{.MemTotal}}|{{.KernelVersion}}|{{.OperatingSystem}}|{{.IndexServerAddress}}'],
    hostFields: ['', '', 'machine', 'cgroup-version', 'ncpu', 'memory', 'kernel', 'os', ''] },
  { id: 'system-info-format', group: 'system', args: ['system', 'info', '--format', '{{.ServerVersion}} {{.LoggingDriver}} {{.Swarm.LocalNodeState}} {{with index .Runtimes "runc"}}runc {{.Path | printf "%.0s"}}{{end}}'], masks: ['versions'] },

  // volumes
  { id: 'volume-ls', group: 'volumes', args: ['volume', 'ls', ...scope], table: true },
  { id: 'volume-ls-q', group: 'volumes', args: ['volume', 'ls', '-q', '--filter', 'name=cf-'] },
  { id: 'volume-ls-dangling', group: 'volumes', args: ['volume', 'ls', '--filter', 'dangling=true', ...scope, '--format', '{{.Name}}'] },
  { id: 'volume-ls-label', group: 'volumes', args: ['volume', 'ls', '--filter', 'label=use=data', '--format', '{{.Name}} {{.Driver}} {{.Label "use"}} {{.Label "berthconf"}}'] },
  { id: 'volume-ls-format', group: 'volumes', args: ['volume', 'ls', ...scope, '--format', 'table {{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Mountpoint}}'], table: true },
  { id: 'volume-ls-json', group: 'volumes', args: ['volume', 'ls', '--filter', 'name=cf-spare', '--format', 'json'] },
  { id: 'volume-inspect', group: 'volumes', args: ['volume', 'inspect', 'cf-vol'] },

  // networks
  { id: 'network-ls', group: 'networks', args: ['network', 'ls', ...scope], table: true },
  { id: 'network-ls-name', group: 'networks', args: ['network', 'ls', '--filter', 'name=cf-', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}}'] },
  { id: 'network-ls-builtin', group: 'networks', args: ['network', 'ls', '--filter', 'name=none', '--filter', 'name=host', '--format', '{{.Name}} {{.Driver}}'] },
  { id: 'network-inspect-format', group: 'networks', args: ['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}} {{json .IPAM}} {{json .Labels}} {{.Internal}} {{.EnableIPv6}}', 'cf-net'] },
  { id: 'network-inspect-containers', group: 'networks', args: ['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}} {{.MacAddress}}{{end}}', 'cf-net'] },

  // history
  { id: 'history', group: 'history', args: ['history', 'berthconf/bb:1'], table: true },
  { id: 'history-H', group: 'history', args: ['history', '-H=false', 'berthconf/bb:1'], table: true },
  { id: 'history-format', group: 'history', args: ['history', '--format', '{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', 'berthconf/lab:1'] },
  { id: 'image-history', group: 'history', args: ['image', 'history', '--format', 'json', 'berthconf/bare:1'] },

  // stats
  { id: 'stats-format', group: 'stats', args: ['stats', '--no-stream', '--format', '{{.Name}} {{.Container}}', 'cf-running'] },
  { id: 'stats-table', group: 'stats', args: ['stats', '--no-stream', 'cf-running'], masks: ['numbers'], table: true },

  // system df
  { id: 'system-df', group: 'df', args: ['system', 'df'], masks: ['numbers'], table: true },
  { id: 'system-df-format', group: 'df', args: ['system', 'df', '--format', '{{.Type}}|{{.Active}}'], masks: ['numbers'] },
  { id: 'system-df-v', group: 'df', args: ['system', 'df', '-v'], masks: ['numbers', 'sceneRows'], table: true },

  // logs and run
  { id: 'logs', group: 'containers', args: ['logs', 'cf-exited'] },
  // Each stream's lines are in order; which of `out` and `err` came last is a race.
  { id: 'container-logs-tail', group: 'containers', args: ['container', 'logs', '--tail', '2', 'cf-exited'] },
  { id: 'logs-timestamps', group: 'containers', args: ['logs', '-t', 'cf-exited'] },
  { id: 'run-exit-code', group: 'containers', args: ['run', '--rm', '--network', 'none', 'berthconf/bb:1', 'sh', '-c', 'echo hi; exit 3'] },
  { id: 'exec-exit-code', group: 'containers', args: ['exec', 'cf-running', 'sh', '-c', 'test -d /tmp && exit 4'] },

  // errors: messages and exit codes
  err('err-unknown-flag', ['ps', '--bogus']),
  err('err-unknown-flag-mgmt', ['container', 'ls', '--bogus']),
  err('err-unknown-command', ['bogus']),
  err('err-unknown-subcommand', ['container', 'bogus']),
  err('err-inspect-no-object', ['inspect', 'nosuch']),
  err('err-inspect-partial', ['inspect', '-f', '{{.Name}}', 'cf-exited', 'nosuch']),
  err('err-container-inspect', ['container', 'inspect', 'nosuch']),
  err('err-image-inspect', ['image', 'inspect', 'nosuch']),
  err('err-inspect-type-image', ['inspect', '--type', 'image', 'cf-running']),
  err('err-inspect-type-bad', ['inspect', '--type', 'bogus', 'cf-running']),
  err('err-rmi', ['rmi', 'nosuch:1']),
  err('err-start', ['start', 'nosuch']),
  err('err-volume-inspect', ['volume', 'inspect', 'nosuch']),
  err('err-network-inspect', ['network', 'inspect', 'nosuch']),
  err('err-rm-running', ['rm', 'cf-running']),
  err('err-exec-stopped', ['exec', 'cf-exited', 'true']),
  err('err-run-bad-flag', ['run', '--bogus', 'berthconf/bb:1', 'true']),
  err('err-run-not-executable', ['run', '--rm', '--network', 'none', 'berthconf/bb:1', '/etc/passwd']),
  err('err-run-not-found', ['run', '--rm', '--network', 'none', 'berthconf/bb:1', 'no-such-command']),
  err('err-ps-filter-key', ['ps', '--filter', 'foo=bar']),
  err('err-ps-filter-status', ['ps', '--filter', 'status=foo']),
  err('err-ps-filter-format', ['ps', '--filter', 'badformat']),
  err('err-images-filter-key', ['images', '--filter', 'foo=bar']),
  err('err-images-filter-dangling', ['images', '--filter', 'dangling=maybe']),
  err('err-volume-filter-key', ['volume', 'ls', '--filter', 'foo=bar']),
  err('err-template-parse', ['inspect', '-f', '{{.State', 'cf-exited']),
  err('err-template-exec', ['inspect', '-f', '{{.State.Nope}}', 'cf-exited']),
  err('err-ps-template', ['ps', '-a', ...scope, '--format', '{{.Nope}}']),
  err('err-ps-template-parse', ['ps', '--format', '{{.Names']),
];

/** The command line with its placeholders filled in. */
export function expandArgs(args: readonly string[], ctx: SceneContext, now = Date.now()): string[] {
  return args.map((a) =>
    a
      .replace(/\{since\}/g, String(ctx.since))
      .replace(/\{until\}/g, String(Math.floor(now / 1000)))
      .replace(/\{(id|id12):([\w-]+)\}/g, (_, kind: string, name: string) => {
        const id = ctx.ids[name];
        if (!id) throw new Error(`no id for ${name}`);
        return kind === 'id12' ? id.slice(0, 12) : id;
      }));
}

/** Builds the scene with `run`; throws naming the step that failed. */
export function buildScene(run: CliRunner, busyboxTar: Buffer): SceneContext {
  const since = Math.floor(Date.now() / 1000) - 1;
  for (const step of sceneSteps) {
    const r = run(step.args, step.busybox ? busyboxTar : undefined);
    if (r.code !== (step.code ?? 0)) throw new Error(`scene step ${step.args.join(' ')} exited ${r.code}: ${r.stderr}`);
  }
  // The health check passes on its first probe, a second after the start.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = run(['inspect', '-f', '{{.State.Health.Status}}', 'cf-running']);
    if (r.stdout.trim() === 'healthy') break;
    if (Date.now() > deadline) throw new Error(`cf-running did not become healthy: ${r.stdout}${r.stderr}`);
    spawnSync('sleep', ['0.2']);
  }
  const ids: Record<string, string> = {};
  for (const name of sceneContainers) ids[name] = run(['inspect', '-f', '{{.Id}}', name]).stdout.trim();
  const images: Record<string, string> = {};
  for (const name of ['berthconf/bb:1', 'berthconf/bare:1', 'berthconf/lab:1']) images[name] = run(['image', 'inspect', '-f', '{{.Id}}', name]).stdout.trim();
  return { ids, images, since };
}

/** Names that mark a row as the scene's (mask `sceneRows`). */
const sceneNames = /berthconf|cf-(created|exited|running|vol|spare|net)\b/;

export interface MaskOptions {
  /** The engine's data roots to mask (dockerd's data and exec roots, berth's store). */
  roots: readonly string[];
  masks?: readonly MaskName[];
  table?: boolean;
  hostFields?: readonly (HostFact | '')[];
}

const durations = /\b(Less than a second|About a minute|About an hour|\d+ (second|minute|hour|day|week|month|year)s?)\b/g;
const absoluteTimes = [
  /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g,
  /\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? [+-]\d{4} [A-Z]{3,4}\b/g,
  /\b1[7-9]\d{17}\b/g, // unix nanoseconds (2023 to 2033)
  /\b1[7-9]\d{8}\b/g, // unix seconds
];

export type HostFact = 'ncpu' | 'memory' | 'kernel' | 'os' | 'cgroup-version' | 'arch' | 'machine';
let knownHostFacts: Record<HostFact, string | undefined> | undefined;

/** This machine's facts as `info` and `version` print them. */
function hostFacts(): Record<HostFact, string | undefined> {
  if (knownHostFacts) return knownHostFacts;
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    } catch {
      return undefined;
    }
  })();
  const goArch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
  knownHostFacts = {
    ncpu: String(cpus().length),
    memory: String(totalmem()),
    kernel: release(),
    os: osRelease,
    'cgroup-version': existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
    arch: goArch,
    machine: machine(),
  };
  return knownHostFacts;
}

/** One cell's or line's masks (everything but `table` and `sceneRows`). */
function maskText(text: string, options: MaskOptions): string {
  let s = text;
  for (const root of options.roots) if (root) s = s.split(root).join('<root>');
  for (const re of absoluteTimes) s = s.replace(re, '<time>');
  s = s.replace(durations, '<duration>');
  s = s.replace(/\b[0-9a-f]{64}\b/g, '<id>').replace(/\b[0-9a-f]{12}\b/g, '<short-id>');
  s = s.replace(/\b(docker|berth)(?=[: ]|'|$)/gm, '<cli>');
  if (options.masks?.includes('versions')) {
    s = s.replace(/\b(20\.10\.\d+\+dfsg\d|\d+\.\d+\.\d+(-[\w.]+)?)\b/g, '<version>');
  }
  if (options.hostFields) {
    const facts = hostFacts();
    const fields = options.hostFields;
    s = s.split('\n').map((line) => line.split('|').map((field, i) => {
      const fact = fields[i];
      return fact && facts[fact] === field ? `<host:${fact}>` : field;
    }).join('|')).join('\n');
  }
  if (options.masks?.includes('labelOrder')) s = s.replace(/"Labels":"([^"]*)"/g, (_, l: string) => `"Labels":"${l.split(',').sort().join(',')}"`);
  if (options.masks?.includes('numbers')) s = s.replace(/-?\d+(\.\d+)?(%|[kKMGTP]?i?B\b)?/g, '<n>');
  return s;
}

/** Column starts of a table's header line: 0 and every position after a run of two or more spaces. */
function columnStarts(header: string): number[] {
  const starts: number[] = [];
  for (const m of header.matchAll(/\S+(?: \S+)*/g)) starts.push(m.index);
  return starts;
}

/**
 * A table cut at its header's column starts, cells masked, with the padding after each column's
 * widest cell (left out with `sceneRows`: the dropped rows set the widths).
 */
function maskTable(text: string, options: MaskOptions): string {
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  const end = trailing === undefined ? '' : '\n';
  // A section title above a table (`Images space usage:`) stays as it is.
  const titles: string[] = [];
  while (lines.length > 0 && /:$/.test(lines[0] ?? '')) titles.push(lines.shift() ?? '');
  const header = lines[0] ?? '';
  const starts = columnStarts(header);
  if (starts.length < 2) return [...titles, ...lines.map((l) => maskText(l, options))].join('\n') + end;
  const cut = (line: string) => starts.map((s, i) => line.slice(s, starts[i + 1] ?? line.length));
  const rows = lines.map(cut);
  const pads = starts.slice(0, -1).map((s, i) => (starts[i + 1] ?? 0) - s - Math.max(...rows.map((r) => (r[i] ?? '').trimEnd().length)));
  // Dropped rows, or masked numbers of any width, set the widths: then only the columns are compared.
  const padLine = options.masks?.includes('sceneRows') || options.masks?.includes('numbers') ? '<columns>' : `<columns padded ${pads.join(',')}>`;
  return [...titles, padLine, ...rows.map((r) => r.map((c) => maskText(c.trim(), options)).join(' | '))].join('\n') + end;
}

/** Docker's output and berth's, masked alike (see MaskName). */
export function maskOutput(text: string, options: MaskOptions): string {
  let s = text;
  if (options.masks?.includes('sceneRows')) {
    // Keep blank lines, section titles, table headers (upper-case words) and the rows naming scene objects.
    s = s.split('\n').filter((l) => l.trim() === '' || /:$/.test(l) || sceneNames.test(l) || /^[A-Z][A-Z ]*$/.test(l.trim())).join('\n');
  }
  if (options.table) {
    // Several tables (system df -v) are separated by blank lines; each is cut on its own header.
    return s.split(/(\n\n+)/).map((part) => (part.startsWith('\n\n') ? part : maskTable(part, options))).join('');
  }
  s = maskText(s, options);
  if (options.masks?.includes('sortLines')) s = s.split('\n').filter(Boolean).sort().map((l) => `${l}\n`).join('');
  return s;
}

/** The recorded (or compared) form of one case. */
export interface CaseRecord {
  id: string;
  command: string;
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Shell-quotes a command line for the fixture's `command`. */
export function shellLine(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Runs one case and masks its output. */
export function runCase(run: CliRunner, c: ConformanceCase, ctx: SceneContext, roots: readonly string[]): CaseRecord {
  const args = expandArgs(c.args, ctx);
  const r = run(args);
  const options: MaskOptions = { roots, ...(c.masks ? { masks: c.masks } : {}), ...(c.table ? { table: true } : {}), ...(c.hostFields ? { hostFields: c.hostFields } : {}) };
  return {
    id: c.id,
    command: shellLine(['docker', ...c.args]),
    stdout: maskOutput(r.stdout, options),
    stderr: maskOutput(r.stderr, { ...options, table: false }),
    exitCode: r.code,
  };
}

/** JSON's type of a value, as `jq type` names it. */
function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * Every key path of an inspect object with its JSON type (`State.Health.Status: string`); the
 * elements of an array are one path, `Mounts[].Source`, with the types of all elements joined.
 */
export function keyPaths(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  const add = (path: string, type: string) => {
    const seen = out[path];
    out[path] = seen === undefined || seen === type ? type : [...new Set([...seen.split('|'), type])].sort().join('|');
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      add(`${prefix}[]`, jsonType(item));
      if (item !== null && typeof item === 'object') keyPaths(item, `${prefix}[]`, out);
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${k}` : k;
      add(path, jsonType(v));
      if (v !== null && typeof v === 'object') keyPaths(v, path, out);
    }
  }
  return prefix ? out : Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
