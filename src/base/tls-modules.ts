/**
 * node:http, node:https, node:tls and node:stream's Readable for extra-ca.ts's fetchTrusting,
 * loaded by a dynamic import of this module: the bundle (CommonJS, run from a V8 code cache) can
 * lazily evaluate a module of its own, not a dynamic import of a built-in.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';

export { http, https, Readable, rootCertificates };
