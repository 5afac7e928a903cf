// Lazily required Node builtins for the CLI bundle (tools/bundle.mjs). esbuild turns every
// `import { createHash } from 'node:crypto'` of a bundled module into `import_node_crypto =
// require("node:crypto")` run when that module is initialised, and a command initialises nearly
// every module at start-up (open-engine.ts imports every plugin): `berth inspect` loaded
// node:crypto, zlib, child_process, net, stream, fs/promises, ... (10-20 ms under load) and used
// none. Here each such require of a builtin below becomes a stand-in that requires the builtin on
// the first property read (`import_node_crypto.createHash`, as esbuild writes every use), so a
// builtin is loaded by the first command that calls into it, and only then. The same for the
// default imports of bundled CommonJS packages (tar-stream).
// Builtins Node has loaded before any script runs (fs, path, url, buffer, events, util) stay plain
// requires: they cost nothing. A builtin's default import (`__toESM(require("node:http"))`) is left
// alone: it copies the module's properties at once (those are behind the registry's dynamic import).

/** The builtins required lazily. */
export const lazyBuiltins = [
  'node:child_process', 'node:crypto', 'node:dns', 'node:fs/promises', 'node:http', 'node:https', 'node:net',
  'node:os', 'node:readline', 'node:stream', 'node:stream/promises', 'node:string_decoder', 'node:timers/promises',
  'node:tls', 'node:tty', 'node:v8', 'node:vm', 'node:worker_threads', 'node:zlib',
];

/**
 * The stand-in: a Proxy over an empty object that forwards every operation to the module, loaded
 * on the first one. Property descriptors are reported configurable (a Proxy may not report a
 * non-configurable property its target lacks); reads, `in`, enumeration and prototypes are the
 * module's own.
 */
export const lazyRequireHelper = `var __berthLazy = (loader) => {
  let m;
  const load = () => m ??= loader();
  return new Proxy({}, {
    get: (_, key) => Reflect.get(load(), key),
    has: (_, key) => Reflect.has(load(), key),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(load(), key);
      if (d) d.configurable = true;
      return d;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(load()),
    set: (_, key, value) => Reflect.set(load(), key, value),
  });
};
var __berthLazyRequire = (id) => __berthLazy(() => require(id));`;

/**
 * The bundle's text with `X = require("node:B")` of the builtins above made lazy, and the default
 * imports of bundled CommonJS packages (`X = __toESM(require_tar_stream(), 1)`: tar-stream and its
 * streamx, imported by core/diff, which every command initialises). Throws when esbuild's shape changed.
 */
export function makeBuiltinsLazy(code) {
  let count = 0;
  const out = code
    .replace(/(\b[\w$]+ = )require\("(node:[a-z_/]+)"\);/g, (all, assign, id) => {
      if (!lazyBuiltins.includes(id)) return all;
      count++;
      return `${assign}__berthLazyRequire(${JSON.stringify(id)});`;
    })
    .replace(/(\b[\w$]+ = )(__toESM\(require_[\w$]+\(\), 1\));/g, (all, assign, load) => `${assign}__berthLazy(() => ${load});`);
  if (count === 0) throw new Error('tools/lazy-builtins.mjs: no require of a builtin found in the bundle: did esbuild change how it writes them?');
  return out;
}

/**
 * The bundle's text in ASCII: each other character (esbuild leaves them in regular expressions, as
 * `/(ns|us|µs)/`) written as its \u escape, which means the same in a string, a template, a regular
 * expression or an identifier. Node reads an ASCII file into a one-byte string; one other character
 * makes the whole 1.4 MB source a two-byte string, decoded and held at twice the size, on every start.
 * A character after a backslash, or in a bundle that uses String.raw (whose raw text would show the
 * escape), is left as it is and named in `kept`: the bundle is then correct, only slower to load.
 */
export function asciiOnly(code) {
  const kept = [];
  const raw = code.includes('String.raw');
  const text = code.replace(/[\u0080-\uffff]/g, (ch, at) => {
    if (raw || code[at - 1] === '\\') {
      kept.push(`${JSON.stringify(ch)} at ${at}`);
      return ch;
    }
    return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return { text, kept };
}
