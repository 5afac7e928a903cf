/**
 * node:http and node:https, loaded by a dynamic import of this module: the bundle (CommonJS, run
 * from a V8 code cache) can lazily evaluate a module of its own, not a dynamic import of a
 * built-in, and a command that never reaches a daemon should not pay for loading them (~10 ms).
 */
import * as http from 'node:http';
import * as https from 'node:https';

export { http, https };
