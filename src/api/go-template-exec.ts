/**
 * Executes a parsed Go text/template over JSON-shaped data (objects, arrays, strings, numbers,
 * booleans, null), with Go's builtins (and, or, not, len, index, slice, print, printf, println,
 * eq, ne, lt, le, gt, ge) and caller-supplied functions. Objects behave as Go maps: fields by key,
 * ranges in sorted key order; a function-valued field is a method (`{{.Label "a"}}`). Errors read as
 * Go's: `template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"`.
 */
import {
  commandString, GoFloat, operandString, parseTemplate, pipeString,
  type Command, type Operand, type Pipe, type TemplateNode,
} from './go-template-parser.js';
import { formatValue, goKind, goTypeName, isStringMap, numberValue, sprint, sprintf, sprintln, type GoKind } from './go-template-print.js';

/** A parameter's Go type, checked as Go checks arguments: string, int, []string, or anything. */
export type ParamType = 'any' | 'string' | 'int' | 'strings';

export interface GoFunction {
  params: ParamType[];
  /** The type of any further arguments (Go's variadic `...T`). */
  variadic?: ParamType;
  call: (...args: unknown[]) => unknown;
}

export interface ExecOptions {
  /** `error`: a missing map key is an error (Docker's inspect); `default`: it prints `<no value>`. */
  missingKey?: 'default' | 'error';
  /**
   * The Go type of the data itself (e.g. `*formatter.ContainerContext`): its missing fields are an
   * error naming that type, as with Docker's typed contexts, whatever `missingKey` says.
   */
  structType?: string;
  /** Replaces functions of the parsed template by name (Docker's header pass). */
  functions?: Readonly<Record<string, GoFunction>>;
}

/** An execution error, with Go's full message and the output written before it. */
export class TemplateExecError extends Error {
  constructor(message: string, readonly partial: string) {
    super(message);
  }
}

const builtinArity: Record<string, { min: number; max?: number }> = {
  and: { min: 1 }, or: { min: 1 }, not: { min: 1, max: 1 }, len: { min: 1, max: 1 }, index: { min: 1 },
  slice: { min: 1 }, print: { min: 0 }, html: { min: 0 }, js: { min: 0 }, urlquery: { min: 0 }, printf: { min: 1 }, println: { min: 0 }, eq: { min: 1 },
  ne: { min: 2, max: 2 }, lt: { min: 2, max: 2 }, le: { min: 2, max: 2 }, gt: { min: 2, max: 2 }, ge: { min: 2, max: 2 },
};

// Go stops at 100000 nested {{template}} calls; node's stack holds fewer, so berth stops earlier.
const maxTemplateDepth = 1000;

/** A parsed template: parse once, execute per item. */
export class GoTemplate {
  readonly tree: TemplateNode[];
  /** The templates named by {{define}}. */
  readonly defines: ReadonlyMap<string, TemplateNode[]>;

  constructor(readonly text: string, readonly functions: Readonly<Record<string, GoFunction>> = {}) {
    const parsed = parseTemplate(text, { functions: new Set([...Object.keys(builtinArity), ...Object.keys(functions)]) });
    this.tree = parsed.tree;
    this.defines = parsed.defines;
  }

  execute(data: unknown, options: ExecOptions = {}): string {
    const state = new State(this, data, options);
    state.walkList(data, this.tree);
    return state.out;
  }
}

type ContextNode = Operand | Command | Pipe | TemplateNode;
const NO_FINAL = Symbol('no final');
type Final = unknown;
// {{break}} and {{continue}} unwind to their range.
class Break extends Error {}
class Continue extends Error {}

class FuncError extends Error {}

class State {
  out = '';
  private depth = 0;
  private vars: { name: string; value: unknown }[];
  private node: ContextNode | null = null;
  private readonly functions: Readonly<Record<string, GoFunction>>;

  constructor(private readonly tmpl: GoTemplate, private readonly top: unknown, private readonly options: ExecOptions) {
    this.vars = [{ name: '$', value: top }];
    this.functions = { ...tmpl.functions, ...options.functions };
  }

  private at(node: ContextNode): void {
    this.node = node;
  }

  private errorf(message: string): never {
    const node = this.node;
    if (node === null) throw new TemplateExecError(`template: : ${message}`, this.out);
    const text = this.tmpl.text.slice(0, node.pos);
    const lastNewline = text.lastIndexOf('\n');
    const line = 1 + (text.match(/\n/g)?.length ?? 0);
    const col = lastNewline === -1 ? node.pos : node.pos - lastNewline - 1;
    const context = nodeString(node);
    throw new TemplateExecError(`template: :${line}:${col}: executing "" at <${context}>: ${message}`, this.out);
  }

  walkList(dot: unknown, list: TemplateNode[]): void {
    for (const node of list) this.walk(dot, node);
  }

  private walk(dot: unknown, node: TemplateNode): void {
    this.at(node);
    switch (node.kind) {
      case 'text':
        this.out += node.text;
        return;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.out += value === undefined ? '<no value>' : formatValue(value);
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        if (isTrue(value)) this.walkList(node.kind === 'with' ? value : dot, node.list);
        else if (node.elseList !== null) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
      case 'template': {
        const body = this.tmpl.defines.get(node.name);
        if (body === undefined) this.errorf(`template ${JSON.stringify(node.name)} not defined`);
        const value = node.pipe === null ? undefined : this.evalPipeline(dot, node.pipe);
        // A template runs with its own variables: only $, bound to its data.
        if (this.depth >= maxTemplateDepth) this.errorf(`exceeded maximum template depth (${maxTemplateDepth})`);
        const saved = this.vars;
        this.vars = [{ name: '$', value }];
        this.depth++;
        try {
          this.walkList(value, body);
        } finally {
          this.vars = saved;
          this.depth--;
        }
        return;
      }
    }
  }

  private walkRange(dot: unknown, node: Extract<TemplateNode, { list: TemplateNode[] }>): void {
    const mark = this.vars.length;
    const value = this.evalPipeline(dot, { ...node.pipe, decl: [] });
    const entries: [unknown, unknown][] = [];
    switch (goKind(value)) {
      case 'invalid':
        break;
      case 'slice':
        (value as unknown[]).forEach((e, i) => entries.push([i, e]));
        break;
      case 'map': {
        const obj = value as Record<string, unknown>;
        for (const k of Object.keys(obj).sort()) if (typeof obj[k] !== 'function') entries.push([k, obj[k]]);
        break;
      }
      case 'int':
        if (node.pipe.decl.length > 1) this.errorf(`can't use ${formatValue(value)} to iterate over more than one variable`);
        for (let i = 0; i < (value as number); i++) entries.push([i, i]);
        break;
      default:
        this.errorf(`range can't iterate over ${formatValue(value)}`);
    }
    for (const [key, elem] of entries) {
      const inner = this.vars.length;
      const [first, second] = node.pipe.decl;
      if (first !== undefined) this.setOrPush(first, second === undefined ? elem : key, node.pipe.isAssign);
      if (second !== undefined) this.setOrPush(second, elem, node.pipe.isAssign);
      try {
        this.walkList(elem, node.list);
      } catch (err) {
        if (err instanceof Break) {
          this.vars.length = inner;
          break;
        }
        if (!(err instanceof Continue)) throw err;
      }
      this.vars.length = inner;
    }
    if (entries.length === 0 && node.elseList !== null) this.walkList(dot, node.elseList);
    this.vars.length = mark;
  }

  private setOrPush(name: string, value: unknown, assign: boolean): void {
    if (assign) {
      for (let i = this.vars.length - 1; i >= 0; i--) {
        const v = this.vars[i];
        if (v?.name === name) {
          v.value = value;
          return;
        }
      }
      this.errorf(`undefined variable: ${name}`);
    }
    this.vars.push({ name, value });
  }

  private evalPipeline(dot: unknown, pipe: Pipe): unknown {
    this.at(pipe);
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const name of pipe.decl) this.setOrPush(name, value, pipe.isAssign);
    return value === NO_FINAL ? undefined : value;
  }

  private evalCommand(dot: unknown, cmd: Command, final: Final): unknown {
    const first = cmd.args[0] as Operand;
    switch (first.kind) {
      case 'field':
        this.at(first);
        return this.evalFieldChain(dot, dot, first.idents, cmd.args, final, dot === this.top);
      case 'chain': {
        this.at(first);
        const receiver = this.evalArg(dot, first.node);
        return this.evalFieldChain(dot, receiver, first.fields, cmd.args, final, false);
      }
      case 'identifier':
        return this.evalFunction(dot, first, cmd, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first.pipe);
      case 'variable': {
        this.at(first);
        const value = this.lookupVar(first.idents[0] as string);
        if (first.idents.length === 1) {
          this.notAFunction(cmd.args, final);
          return value;
        }
        return this.evalFieldChain(dot, value, first.idents.slice(1), cmd.args, final, value === this.top);
      }
      default:
        this.at(first);
        this.notAFunction(cmd.args, final);
        if (first.kind === 'nil') this.errorf('nil is not a command');
        return this.evalArg(dot, first);
    }
  }

  private notAFunction(args: Operand[], final: Final): void {
    if (args.length > 1 || final !== NO_FINAL) this.errorf(`can't give argument to non-function ${operandString(args[0] as Operand)}`);
  }

  private lookupVar(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i];
      if (v?.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  /** Evaluates `.A.B.C` from receiver; the last field gets the command's arguments (a method call). */
  private evalFieldChain(dot: unknown, receiver: unknown, idents: string[], args: Operand[], final: Final, receiverIsTop: boolean): unknown {
    let value = receiver;
    let isTop = receiverIsTop;
    idents.forEach((name, i) => {
      const last = i === idents.length - 1;
      value = this.evalField(dot, name, value, last ? args : [], last ? final : NO_FINAL, isTop);
      isTop = false;
    });
    return value;
  }

  private evalField(dot: unknown, name: string, receiver: unknown, args: Operand[], final: Final, isTop: boolean): unknown {
    const hasArgs = args.length > 1 || final !== NO_FINAL;
    if (receiver === undefined) {
      if (this.options.missingKey === 'error') this.errorf(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    if (receiver === null) this.errorf(`nil pointer evaluating interface {}.${name}`);
    const kind = goKind(receiver);
    const struct = isTop && this.options.structType !== undefined;
    if (kind === 'map') {
      const obj = receiver as Record<string, unknown>;
      if (Object.prototype.hasOwnProperty.call(obj, name)) {
        const value = obj[name];
        if (typeof value === 'function') {
          const fn = value as (...a: unknown[]) => unknown;
          const argv = args.slice(1).map((a) => this.evalArg(dot, a));
          if (final !== NO_FINAL) argv.push(final);
          try {
            return fn.apply(obj, argv);
          } catch (err) {
            this.errorf(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        return value;
      }
      if (struct) this.errorf(`can't evaluate field ${name} in type ${this.options.structType ?? ''}`);
      if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
      // Docker's typed data has map[string]string fields (Labels, Options): a missing key there
      // prints <no value> even where a missing struct field is an error.
      if (this.options.missingKey === 'error' && !isStringMap(obj)) this.errorf(`map has no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    return this.errorf(`can't evaluate field ${name} in type ${this.options.structType !== undefined ? goTypeName(receiver) : 'interface {}'}`);
  }

  private evalArg(dot: unknown, arg: Operand): unknown {
    this.at(arg);
    switch (arg.kind) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'bool': return arg.value;
      case 'number': return arg.value;
      case 'string': return arg.value;
      case 'field': return this.evalFieldChain(dot, dot, arg.idents, [arg], NO_FINAL, dot === this.top);
      case 'variable': {
        const value = this.lookupVar(arg.idents[0] as string);
        return arg.idents.length === 1 ? value : this.evalFieldChain(dot, value, arg.idents.slice(1), [arg], NO_FINAL, value === this.top);
      }
      case 'chain': {
        const receiver = this.evalArg(dot, arg.node);
        this.at(arg);
        return this.evalFieldChain(dot, receiver, arg.fields, [arg], NO_FINAL, false);
      }
      case 'pipe': return this.evalPipeline(dot, arg.pipe);
      case 'identifier': return this.evalFunction(dot, arg, { pos: arg.pos, args: [arg] }, NO_FINAL);
    }
  }

  private evalFunction(dot: unknown, ident: Extract<Operand, { kind: 'identifier' }>, cmd: Command, final: Final): unknown {
    this.at(ident);
    const name = ident.name;
    const argNodes = cmd.args.slice(1);
    const count = argNodes.length + (final !== NO_FINAL ? 1 : 0);
    const custom = this.functions[name];
    if (custom !== undefined) {
      const fixed = custom.params.length;
      if (custom.variadic === undefined ? count !== fixed : count < fixed) {
        this.errorf(`wrong number of args for ${name}: want ${custom.variadic === undefined ? '' : 'at least '}${fixed} got ${count}`);
      }
      const argv = argNodes.map((a, i) => {
        const type = custom.params[i] ?? custom.variadic ?? 'any';
        this.at(a);
        if (['bool', 'number', 'string', 'nil'].includes(a.kind) && !constantFits(a, type)) {
          this.errorf(`expected ${type === 'strings' ? '[]string' : type}; found ${operandString(a)}`);
        }
        return this.checkType(this.evalArg(dot, a), type);
      });
      if (final !== NO_FINAL) argv.push(this.checkType(final, custom.params[argv.length] ?? custom.variadic ?? 'any'));
      this.at(cmd);
      try {
        return custom.call(...argv);
      } catch (err) {
        return this.errorf(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const arity = builtinArity[name] as { min: number; max?: number };
    if (count < arity.min || (arity.max !== undefined && count > arity.max)) {
      this.errorf(`wrong number of args for ${name}: want ${arity.max === arity.min ? '' : 'at least '}${arity.min} got ${count}`);
    }
    if (name === 'and' || name === 'or') {
      // Go evaluates and/or lazily: the first falsy (and) or truthy (or) argument, else the last.
      let value: unknown;
      for (let i = 0; i < count; i++) {
        value = i < argNodes.length ? this.evalArg(dot, argNodes[i] as Operand) : final;
        if (isTrue(value) === (name === 'or')) return value;
      }
      return value;
    }
    const argv = argNodes.map((a) => this.evalArg(dot, a));
    if (final !== NO_FINAL) argv.push(final);
    // Go passes a missing value to a function as nil.
    const args = argv.map((a) => (a === undefined ? null : a));
    this.at(cmd);
    try {
      return callBuiltin(name, args);
    } catch (err) {
      // FuncError is Go's returned error; a RangeError is an output Go would fail to allocate too.
      if (err instanceof FuncError || err instanceof RangeError) this.errorf(`error calling ${name}: ${err.message}`);
      throw err;
    }
  }

  private checkType(value: unknown, type: ParamType): unknown {
    if (type === 'any') return value === undefined ? null : value;
    const goType = type === 'strings' ? '[]string' : type;
    if (value === undefined || value === null) this.errorf(`invalid value; expected ${goType}`);
    const kind = goKind(value);
    const ok = type === 'string' ? kind === 'string'
      : type === 'int' ? kind === 'int'
        : kind === 'slice' && (value as unknown[]).every((e) => typeof e === 'string');
    if (!ok) this.errorf(`wrong type for value; expected ${goType}; got ${goTypeName(value)}`);
    return value;
  }
}

function constantFits(a: Operand, type: ParamType): boolean {
  switch (type) {
    case 'any': return true;
    case 'string': return a.kind === 'string';
    case 'int': return a.kind === 'number' && goKind(a.value) === 'int';
    case 'strings': return false;
  }
}

function nodeString(node: ContextNode): string {
  if ('cmds' in node) return pipeString(node);
  if (!('kind' in node)) return commandString(node);
  switch (node.kind) {
    case 'text': return node.text;
    case 'action': return `{{${pipeString(node.pipe)}}}`;
    case 'if': case 'with': case 'range': return `{{${node.kind} ${pipeString(node.pipe)}}}`;
    case 'break': case 'continue': return `{{${node.kind}}}`;
    case 'template': return `{{template ${JSON.stringify(node.name)}${node.pipe === null ? '' : ` ${pipeString(node.pipe)}`}}}`;
    default: return operandString(node);
  }
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: unknown): boolean {
  switch (goKind(v)) {
    case 'invalid': return false;
    case 'bool': return v as boolean;
    case 'int': case 'float': return numberValue(v) !== 0;
    case 'string': return (v as string).length > 0;
    case 'slice': return (v as unknown[]).length > 0;
    case 'map': return Object.keys(v as object).length > 0;
    case 'func': return true;
  }
}

function toIndex(v: unknown): number {
  if (goKind(v) !== 'int') throw new FuncError(`cannot index slice/array with type ${goTypeName(v)}`);
  return v as number;
}

/** Zero value of a map's element type, inferred from its values (Go's index of a missing key). */
function zeroOf(obj: Record<string, unknown>): unknown {
  const kinds = new Set(Object.values(obj).map(goKind));
  if (kinds.size !== 1) return null;
  switch ([...kinds][0]) {
    case 'string': return '';
    case 'int': return 0;
    case 'bool': return false;
    default: return null;
  }
}

function callBuiltin(name: string, args: unknown[]): unknown {
  switch (name) {
    case 'not': return !isTrue(args[0]);
    case 'len': {
      const v = args[0];
      switch (goKind(v)) {
        case 'string': return Buffer.byteLength(v as string, 'utf8');
        case 'slice': return (v as unknown[]).length;
        case 'map': return Object.keys(v as object).length;
        case 'invalid': throw new FuncError('len of nil pointer');
        default: throw new FuncError(`len of type ${goTypeName(v)}`);
      }
    }
    case 'index': {
      let item = args[0];
      for (const index of args.slice(1)) {
        switch (goKind(item)) {
          case 'slice': {
            const arr = item as unknown[];
            const i = toIndex(index);
            if (i < 0 || i >= arr.length) throw new FuncError(`index out of range: ${i}`);
            item = arr[i];
            break;
          }
          case 'string': {
            const bytes = Buffer.from(item as string, 'utf8');
            const i = toIndex(index);
            if (i < 0 || i >= bytes.length) throw new FuncError(`index out of range: ${i}`);
            item = bytes[i];
            break;
          }
          case 'map': {
            if (goKind(index) !== 'string') throw new FuncError(`value has type ${goTypeName(index)}; should be string`);
            const obj = item as Record<string, unknown>;
            item = Object.prototype.hasOwnProperty.call(obj, index as string) ? obj[index as string] : zeroOf(obj);
            break;
          }
          case 'invalid':
            throw new FuncError('index of untyped nil');
          default:
            throw new FuncError(`can't index item of type ${goTypeName(item)}`);
        }
      }
      return item;
    }
    case 'slice': {
      const item = args[0];
      const kind = goKind(item);
      if (kind === 'invalid') throw new FuncError('slice of untyped nil');
      if (kind !== 'string' && kind !== 'slice') throw new FuncError(`can't slice item of type ${goTypeName(item)}`);
      const indexes = args.slice(1);
      if (indexes.length > 3) throw new FuncError(`too many slice indexes: ${indexes.length}`);
      if (kind === 'string' && indexes.length === 3) throw new FuncError('cannot 3-index slice a string');
      const length = kind === 'string' ? Buffer.byteLength(item as string, 'utf8') : (item as unknown[]).length;
      const idx = [0, length];
      indexes.forEach((v, i) => {
        const n = toIndex(v);
        if (n < 0 || n > length) throw new FuncError(`index out of range: ${n}`);
        idx[i] = n;
      });
      const [from = 0, to = length] = idx;
      if (from > to) throw new FuncError(`invalid slice index: ${from} > ${to}`);
      if (kind === 'string') return Buffer.from(item as string, 'utf8').subarray(from, to).toString('utf8');
      return (item as unknown[]).slice(from, to);
    }
    case 'print': return sprint(args);
    case 'html': return htmlEscape(escaperArg(args));
    case 'js': return jsEscape(escaperArg(args));
    case 'urlquery': return encodeURIComponent(escaperArg(args)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    case 'println': return sprintln(args);
    case 'printf': {
      if (typeof args[0] !== 'string') throw new FuncError(`wrong type for value; expected string; got ${goTypeName(args[0])}`);
      return sprintf(args[0], args.slice(1));
    }
    case 'eq': {
      if (args.length < 2) throw new FuncError('missing argument for comparison');
      const [a, ...rest] = args;
      return rest.some((b) => equal(a, b));
    }
    case 'ne': return !equal(args[0], args[1]);
    case 'lt': return less(args[0], args[1]);
    case 'le': return less(args[0], args[1]) || equal(args[0], args[1]);
    case 'gt': return !less(args[0], args[1]) && !equal(args[0], args[1]);
    case 'ge': return !less(args[0], args[1]);
    default: throw new FuncError(`function ${JSON.stringify(name)} not defined`);
  }
}

/** The text Go's escapers work on: a lone string as is, else fmt.Sprint of the arguments. */
function escaperArg(args: unknown[]): string {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args);
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c] ?? c);
}

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0) ?? 0;
    if (c === '\\' || c === "'" || c === '"') out += `\\${c}`;
    else if (c === '<' || c === '>' || c === '&' || c === '=' || cp < 0x20) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

function basicKind(v: unknown): GoKind {
  return goKind(v);
}

function equal(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== kb) {
    if (ka !== 'invalid' && kb !== 'invalid') throw new FuncError('incompatible types for comparison');
    return false;
  }
  switch (ka) {
    case 'invalid': return true;
    case 'int': case 'float': return numberValue(a) === numberValue(b);
    case 'bool': case 'string': return a === b;
    // Docker reaches this only on its untyped retry, hence the JSON-decoded type name.
    default: throw new FuncError(`non-comparable type ${formatValue(a)}: ${ka === 'slice' ? '[]interface {}' : 'map[string]interface {}'}`);
  }
}

function less(a: unknown, b: unknown): boolean {
  const ordered = (k: GoKind): boolean => k === 'int' || k === 'float' || k === 'string' || k === 'bool';
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (!ordered(ka) || !ordered(kb)) throw new FuncError('invalid type for comparison');
  if (ka !== kb) throw new FuncError('incompatible types for comparison');
  if (ka === 'bool') throw new FuncError('invalid type for comparison');
  if (ka === 'string') return (a as string) < (b as string);
  return numberValue(a) < numberValue(b);
}

export { GoFloat };
