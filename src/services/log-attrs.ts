/**
 * The `attrs` of a json-file log entry, as dockerd's json-file driver writes them: the container
 * labels named by `--log-opt labels=a,b` (or matching `labels-regex`), the environment variables
 * named by `env=` (or matching `env-regex`), and `tag` (a Go template over the container:
 * `{{.Name}}`, `{{.ID}}`, `{{.FullID}}`, `{{.ImageName}}`, `{{.ImageID}}`, `{{.ImageFullID}}`,
 * `{{.DaemonName}}`), when set. `logs --details` prints them. Computed once per start and handed to
 * the monitor as the JSON it writes into every entry (keys sorted, as Go marshals a map).
 */
import { errors } from '../base/index.js';
import { renderInspectFormat } from '../api/index.js';
import type { ContainerRecord } from '../core/containers/index.js';

export function logAttrs(record: Pick<ContainerRecord, 'id' | 'name' | 'image' | 'imageId' | 'config' | 'hostConfig'>): Record<string, string> {
  const opts = record.hostConfig.logConfig?.config ?? {};
  const out: Record<string, string> = {};
  const labels = record.config.Labels ?? {};
  const wanted = (list: string | undefined) => new Set((list ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  const pattern = (text: string | undefined, option: string) => {
    if (text === undefined) return undefined;
    try {
      return new RegExp(text);
    } catch (err) {
      throw errors.invalidArgument('INVALID_LOG_OPT', `invalid ${option} log opt ${JSON.stringify(text)}: ${(err as Error).message}`);
    }
  };
  const labelNames = wanted(opts['labels']);
  const labelRegex = pattern(opts['labels-regex'], 'labels-regex');
  for (const [key, value] of Object.entries(labels)) {
    if (labelNames.has(key) || labelRegex?.test(key)) out[key] = value;
  }
  const envNames = wanted(opts['env']);
  const envRegex = pattern(opts['env-regex'], 'env-regex');
  for (const entry of record.config.Env ?? []) {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq);
    if (eq >= 0 && (envNames.has(key) || envRegex?.test(key))) out[key] = entry.slice(eq + 1);
  }
  if (opts['tag'] !== undefined) {
    const imageFullId = record.imageId.replace(/^sha256:/, '');
    const context = {
      ID: record.id.slice(0, 12), FullID: record.id, Name: record.name,
      ImageID: imageFullId.slice(0, 12), ImageFullID: imageFullId, ImageName: record.image, DaemonName: 'berth',
    };
    try {
      out['tag'] = renderInspectFormat(opts['tag'], [context]).replace(/\n$/, '');
    } catch (err) {
      throw errors.invalidArgument('INVALID_LOG_OPT', `invalid tag log opt ${JSON.stringify(opts['tag'])}: ${(err as Error).message}`);
    }
  }
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  // The monitor takes at most 64 KiB of them (native/berth_monitor.c ATTRS_MAX_BYTES).
  if (JSON.stringify(sorted).length > 64 * 1024) throw errors.invalidArgument('INVALID_LOG_OPT', 'the labels and environment variables named by --log-opt come to more than 64 KiB per log entry');
  return sorted;
}
