/**
 * The JSON message streams of pull, push, build, load and import (jsonmessage.JSONMessage, §6 of
 * the reference): one object per message, `\r\n` after each. The answer starts with the first
 * message, not before, as dockerd's: an error before anything was said is a plain HTTP error
 * (`{"message"}` with its status), one after is an `errorDetail` message that ends the stream.
 */
import type { ServerResponse } from 'node:http';

import { isBerthError } from '../base/index.js';
import type { ProgressEvent } from '../api/index.js';
import type { ApiCall } from './api-call.js';

export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: unknown;
  errorDetail?: { code?: number; message: string };
  error?: string;
}

export class JsonMessageStream {
  private res: ServerResponse | undefined;
  /** A message held back until the next one (see `hold`). */
  private held: JsonMessage | undefined;

  constructor(private readonly call: ApiCall) {}

  /** Whether the answer has started (an error must then go in-band). */
  get started(): boolean {
    return this.res !== undefined;
  }

  write(message: JsonMessage): void {
    if (this.held) {
      const held = this.held;
      this.held = undefined;
      this.write(held);
    }
    this.res ??= this.call.stream('application/json');
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(`${JSON.stringify(message)}\r\n`);
  }

  /**
   * Keeps a message until another is written: a pull's `Pulling from` comes before the registry
   * answered, and a registry's refusal must still be an HTTP error as dockerd's is.
   */
  hold(message: JsonMessage): void {
    if (this.held) this.write(this.held);
    this.held = message;
  }

  /** Ends the answer, starting it (with what was held) when nothing was written. */
  end(): void {
    if (this.held) this.write(this.held);
    this.held = undefined;
    this.res ??= this.call.stream('application/json');
    if (!this.res.writableEnded) this.res.end();
  }

  /**
   * An error: thrown again when nothing was said yet (the server answers it with its status);
   * otherwise written as Docker's error message (`code` is the CLI's exit status) and the stream ends.
   */
  fail(err: unknown, code?: number): void {
    if (!this.started) throw err;
    const message = err instanceof Error ? err.message : String(err);
    this.write({ errorDetail: { ...(code !== undefined ? { code } : {}), message }, error: message });
    this.end();
  }
}

/** A pull's or push's progress event as dockerd words it. */
export function progressMessage(event: ProgressEvent): JsonMessage {
  if (event.id === undefined) {
    // berth's first pull line: `TAG: Pulling from REPOSITORY`; dockerd puts the tag in `id`
    const pulling = /^([^\s:]+|sha256:[a-f0-9]{64}): (Pulling from .+)$/.exec(event.status);
    if (pulling) return { status: pulling[2] as string, id: pulling[1] as string };
    return { status: event.status };
  }
  const detail = event.current !== undefined ? { current: event.current, ...(event.total !== undefined && event.total > 0 ? { total: event.total } : {}) } : {};
  return { status: event.status, progressDetail: detail, id: event.id };
}

/** An error's message for a client (a BerthError's own, without its code). */
export function errorText(err: unknown): string {
  if (isBerthError(err)) return err.message;
  return err instanceof Error ? err.message : String(err);
}
