/**
 * Progress of a pull or push, as dockerd reports it to the docker CLI (its JSON messages): a
 * status with no id (`latest: Pulling from library/busybox`, `Digest: ...`), or a layer's status
 * under its short id (`Pulling fs layer`, `Downloading` with byte counts, `Pull complete`,
 * `Pushed`, `Mounted from REPO`). `current`/`total` are set on the statuses that report bytes
 * (`Downloading`, `Extracting`, `Pushing`); the same id's next event replaces it on a terminal.
 */
export interface ProgressEvent {
  id?: string;
  status: string;
  current?: number;
  total?: number;
}

/** The line Docker prints for an event without a terminal (`<id>: <status>`). */
export function progressLine(event: ProgressEvent): string {
  return event.id !== undefined ? `${event.id}: ${event.status}` : event.status;
}
