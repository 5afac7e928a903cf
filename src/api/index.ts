/**
 * api: what the CLI and the daemon both show a user — the Engine interface they drive, the
 * Docker-shaped views of containers and images (inspect, ps, images), and Docker's exit-code
 * rules. Types and pure functions over the Engine interface only: no I/O of its own.
 */
export { exitCodeFor } from './exit-codes.js';
export { detachKeyFilter } from './detach-keys.js';
export { labelTest, parseUntil, pruneImagesFiltered, pruneNetworksFiltered, splitFilters } from './prune-filters.js';
export { nanoCpusOfQuota } from './cpu-limit.js';
export type {
  AttachResult, AttachStreams, ContainerExecOptions, LogsOptions, StartOptions, BootstrapRequest, CommitOptions, ContainerChange, ContainerPathStat, CopyOptions, PruneResult, BuildInstruction, BuildNetwork, BuildProgress, BuildRequest, BuildResult, BuildSecret, BuildStepLimits, CheckReport, Leftover,
  ContainerEngine, ContainerUpdate, CreateContainerOptions, Engine, GcResult, ImageEngine, ImageSummary, ImportOptions, LoadResult, ProcessList, PullOptions, PullResult, PushOptions, PushResult, SaveFormat, SaveOptions, StatsSample, SystemEngine,
  CreateVolumeRequest, DistributionInfo, RegistryCredentials, VolumeEngine, VolumePruneResult, CreateNetworkRequest, NetworkEngine, NetworkInfo, EventsOptions, SystemFacts, ServerFacts, DiskUsage,
  BuildCachePruneOptions, BuildCachePruneResult, BuildCacheUsage,
} from './engine.js';
export type { EventMessage } from '../core/events/index.js';
export type { StreamedProcess } from '../core/runtime/index.js';
export type {
  ChangeAspect, DiffSide, FileChange, ImageDiff, ImageDiffOptions, LayerDifference, NodeSummary, ReproducibilityFile, ReproducibilityReport, TreeChange,
} from './image-compare.js';
export { networkInspectView, networkListRow, containerNetworkSettingsView } from './network-view.js';
export { networkFilter } from './network-filters.js';
export type { NetworkRecord, PortBinding, PublishedPort } from '../core/network/index.js';
export { formatPortLines, parseExpose, parsePublish } from '../core/network/index.js';
export { volumeInspectView, volumeListRow } from './volume-view.js';
export type { VolumeInfo } from '../core/volumes/index.js';
export { parseMountFlag, parseVolumeFlag } from '../core/volumes/index.js';
export { containerInspectView, containerMountsView, containerStatusParts, containerStatusText, type ContainerStatusParts } from './container-view.js';
export { filterContainers, parseFilters } from './container-filters.js';
export { imageInspectView } from './image-view.js';
export { inspectElementText, inspectJsonText, inspectObject, inspectTypeNames } from './inspect.js';
export type { InspectOptions, InspectType } from './inspect.js';
export type { ContainerHostFacts, ImageHostFacts } from './container-host-facts.js';
export { ago, durationSince, humanSize } from './human.js';
// Records, and the option parsers of run's flags, that are part of the engine's API, so that
// callers (CLI, daemon) need not reach into core.
export type { ContainerRecord, ContainerState, ContainerStatus, HostConfig, LogConfig, MountSpec, RestartPolicy } from '../core/containers/index.js';
export { isSupervisedStatus, processArgs, reconcileWatches } from '../core/containers/index.js';
export type { ImageRecord, ResolvedImage } from '../core/images/index.js';
export { parseDeviceMapping, parseIpcMode, parsePidMode, parseRestartPolicy, parseSysctl, restartPolicyText } from '../core/containers/index.js';
export { checkBlkioWeight, checkMemorySwappiness, parseCgroupnsMode, parseDeviceCgroupRule, parseUtsMode } from '../core/containers/index.js';
export type { ThrottleDevice, WeightDevice } from '../core/containers/index.js';
export { blkioDevicesView, blkioThrottleFields, parseThrottleDevice, parseWeightDevice } from './block-io-flags.js';
export type { DeviceMapping } from '../core/containers/index.js';
export { parseBytes, parseUlimit } from '../core/spec/index.js';
export { parseLogConfig } from './log-config.js';
export { joinsNetworks, parseDnsSearch, parseDnsServer, parseExtraHost, parseLink, parseNetworkMode } from '../core/network/index.js';
export type { NetworkMode } from '../core/network/index.js';
// Docker's --format: Go templates, `table` and `json`.
export { dockerFunctions, goJson, parseGoTemplate, renderFormat, renderInspectFormat } from './docker-format.js';
export { dockerTables } from './docker-format-tables.js';
export type { FormatOptions, Header } from './docker-format.js';
export { GoTemplate } from './go-template-exec.js';
export type { ExecOptions, GoFunction, ParamType } from './go-template-exec.js';
export { tabwrite } from './tab-writer.js';
export { containerListRow, containerSummaryView, dockerDate, imageListRows } from './list-views.js';
export { filterImages, goPathPattern } from './image-filters.js';
export { binarySize, statsJson, statsRow } from './stats-view.js';
export type { StatsRow } from './stats-view.js';
export { eventLine, eventTemplateView, rfc3339NanoFixed, timestampNanos } from './event-view.js';
export { apiVersion, infoText, infoView, versionText, versionView } from './system-view.js';
export { dfRows, dfVerbose } from './df-view.js';
export type { DfRow } from './df-view.js';
export { progressLine } from './progress.js';
export type { ProgressEvent } from './progress.js';
export { diskUsageView } from './df-api-view.js';
export { goFileMode, pathStatHeader, pathStatView } from './path-stat-view.js';
// .dockerignore patterns: the builder and the remote engine's build context both apply them.
export { cleanPath, DockerignoreMatcher, parseDockerignore } from './dockerignore/index.js';
export { flagValueUnsupported, unsupportedHostOptions, type UnsupportedHostOption } from './unsupported-host-options.js';
