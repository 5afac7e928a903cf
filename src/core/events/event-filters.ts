/**
 * `events --filter`: dockerd's rules (daemon/events/filter.go). Values of one key are OR-ed, keys
 * are AND-ed, except `label`, whose values must all match. `container`, `volume` and `network`
 * match the actor's id or name by prefix; `image` matches the id or the image name exactly, with
 * or without its tag; `event` and `type` match exactly.
 */
import { errors } from '../../base/index.js';
import type { EventMessage } from './event.js';

export type EventFilters = Map<string, string[]>;

const acceptedKeys = new Set(['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume']);

/** Parses `key=value` filters; InvalidArgument for a malformed one or an unknown key. */
export function parseEventFilters(filters: readonly string[]): EventFilters {
  const parsed: EventFilters = new Map();
  for (const filter of filters) {
    const eq = filter.indexOf('=');
    if (eq <= 0) throw errors.invalidArgument('INVALID_FILTER', `bad format of filter "${filter}" (expected name=value)`);
    const key = filter.slice(0, eq).trim().toLowerCase();
    const value = filter.slice(eq + 1).trim();
    if (!acceptedKeys.has(key)) throw errors.invalidArgument('INVALID_FILTER', `Invalid filter '${key}'`);
    parsed.set(key, [...(parsed.get(key) ?? []), value]);
  }
  return parsed;
}

/** The image name without its tag (`busybox:1` → `busybox`; a registry port is kept). */
function stripTag(name: string): string {
  const at = name.indexOf('@');
  if (at >= 0) return name.slice(0, at);
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

export function matchesEventFilters(event: EventMessage, filters: EventFilters): boolean {
  const exact = (key: string, ...sources: string[]) => {
    const values = filters.get(key);
    return values === undefined || values.some((v) => sources.includes(v));
  };
  const fuzzy = (key: string, ...sources: string[]) => {
    const values = filters.get(key);
    return values === undefined || values.some((v) => sources.some((s) => s !== '' && (s === v || s.startsWith(v))));
  };
  const attrs = event.Actor.Attributes;
  const name = attrs.name ?? '';
  const byName = (key: string) => fuzzy(key, event.Actor.ID, name);
  const imageName = (event.Type === 'image' ? attrs.name : attrs.image) ?? '';
  const imageOk = exact('image', event.Actor.ID, imageName, stripTag(event.Actor.ID), stripTag(imageName));
  const labels = filters.get('label') ?? [];
  const labelsOk = labels.every((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? attrs[l] !== undefined : attrs[l.slice(0, eq)] === l.slice(eq + 1);
  });
  return exact('event', event.Action) && exact('type', event.Type) && exact('scope', event.scope)
    && !filters.has('daemon') && !filters.has('plugin') && !filters.has('node') && !filters.has('service') && !filters.has('secret') && !filters.has('config')
    && byName('container') && byName('volume') && byName('network') && imageOk && labelsOk;
}
