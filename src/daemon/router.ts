/**
 * The Engine API's routes: a method and a path pattern per handler. `{name}` matches one path
 * segment; `{name*}` matches one or more (image references contain `/` and `:`), greedily, as
 * dockerd's mux does for `/images/{name:.*}/json`.
 */
import type { ApiCall } from './api-call.js';

export type Handler = (call: ApiCall) => Promise<void> | void;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
  /** Answers with a raw stream (attach, exec start): also reached through an HTTP Upgrade. */
  hijack?: boolean;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(method: string, pattern: string, handler: Handler, options: { hijack?: boolean } = {}): this {
    const names: string[] = [];
    const source = pattern.split('/').map((segment) => {
      const m = /^\{(\w+)(\*?)\}$/.exec(segment);
      if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    }).join('/');
    this.routes.push({ method, pattern, handler, ...(options.hijack ? { hijack: true } : {}), regex: new RegExp(`^${source}$`), names });
    return this;
  }

  /** The route for a request, or why there is none: `405` when only the method is wrong. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'not-found' | 'method-not-allowed' {
    let pathMatched = false;
    // HEAD is answered by a GET route (with no body), as Go's mux does for /_ping.
    const wanted = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
    for (const m of wanted) {
      for (const route of this.routes) {
        const found = route.regex.exec(path);
        if (!found) continue;
        pathMatched = true;
        if (route.method !== m) continue;
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = decodeURIComponent(found[i + 1]!);
        });
        return { route, params };
      }
    }
    return pathMatched ? 'method-not-allowed' : 'not-found';
  }
}
