/**
 * The parser of Go's text/template: the tree of text, actions, if/with/range (with `else if` and
 * `else with`), break/continue, pipelines with variable declarations, and the operands of commands.
 * Errors read as Go's do, `template: :LINE: message` (Go names only the line at parse time).
 */
import { lexTemplate, TemplateLexError, type Token, type TokenType } from './go-template-lexer.js';

/** A Go constant number: ints are JS numbers, floats are marked so that they print and compare as Go's float64. */
export class GoFloat {
  constructor(readonly value: number) {}
}

export type Operand =
  | { kind: 'field'; pos: number; idents: string[] }
  | { kind: 'variable'; pos: number; idents: string[] }
  | { kind: 'chain'; pos: number; node: Operand; fields: string[] }
  | { kind: 'identifier'; pos: number; name: string }
  | { kind: 'dot'; pos: number }
  | { kind: 'nil'; pos: number }
  | { kind: 'bool'; pos: number; value: boolean }
  | { kind: 'number'; pos: number; value: number | GoFloat; text: string }
  | { kind: 'string'; pos: number; value: string; text: string }
  | { kind: 'pipe'; pos: number; pipe: Pipe };

export interface Command { pos: number; args: Operand[] }
export interface Pipe { pos: number; decl: string[]; isAssign: boolean; cmds: Command[] }

export type TemplateNode =
  | { kind: 'text'; pos: number; text: string }
  | { kind: 'action'; pos: number; pipe: Pipe }
  | { kind: 'if' | 'with' | 'range'; pos: number; pipe: Pipe; list: TemplateNode[]; elseList: TemplateNode[] | null }
  | { kind: 'break' | 'continue'; pos: number }
  | { kind: 'template'; pos: number; name: string; pipe: Pipe | null };

/** A parse error, with Go's full message (`template: :1: unclosed action`). */
export class TemplateParseError extends Error {}

export interface ParseOptions {
  /** The names of the functions the template may call; others are a parse error, as in Go. */
  functions: ReadonlySet<string>;
}

export interface ParsedTemplate {
  tree: TemplateNode[];
  defines: Map<string, TemplateNode[]>;
}

export function parseTemplate(text: string, options: ParseOptions): ParsedTemplate {
  let tokens: Token[];
  try {
    tokens = lexTemplate(text);
  } catch (err) {
    if (err instanceof TemplateLexError) throw new TemplateParseError(`template: :${err.line}: ${err.message}`);
    throw err;
  }
  const parser = new Parser(tokens, options.functions);
  return { tree: parser.parse(), defines: parser.defines };
}

type EndMarker = { end: 'end' | 'else'; token: Token };

class Parser {
  private i = 0;
  private readonly vars: string[] = ['$'];
  private rangeDepth = 0;
  readonly defines = new Map<string, TemplateNode[]>();

  constructor(private readonly tokens: Token[], private readonly functions: ReadonlySet<string>) {}

  parse(): TemplateNode[] {
    const list: TemplateNode[] = [];
    while (this.peek().type !== 'eof') {
      const node = this.textOrAction();
      if ('end' in node) this.fail(`unexpected {{${node.end}}}`, node.token);
      list.push(node);
    }
    return list;
  }

  private fail(message: string, token: Token = this.tokens[Math.max(0, this.i - 1)] as Token): never {
    throw new TemplateParseError(`template: :${token.line}: ${message}`);
  }

  private unexpected(token: Token, context: string): never {
    this.fail(`unexpected ${describe(token)} in ${context}`, token);
  }

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }

  private next(): Token {
    const t = this.tokens[this.i] as Token;
    if (t.type !== 'eof') this.i++;
    return t;
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    if (t.type !== 'eof') this.i--;
    return t;
  }

  private expect(type: TokenType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private textOrAction(): TemplateNode | EndMarker {
    const t = this.next();
    if (t.type === 'text') return { kind: 'text', pos: t.pos, text: t.value };
    if (t.type === 'left') return this.action();
    this.unexpected(t, 'input');
  }

  /** A list up to {{end}} or {{else}}; returns which ended it. */
  private itemList(): { list: TemplateNode[]; end: EndMarker } {
    const list: TemplateNode[] = [];
    for (;;) {
      if (this.peek().type === 'eof') this.fail('unexpected EOF', this.peek());
      const node = this.textOrAction();
      if ('end' in node) return { list, end: node };
      list.push(node);
    }
  }

  private action(): TemplateNode | EndMarker {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.value) {
        case 'if':
        case 'with':
        case 'range':
          return this.control(t.value, t);
        case 'end':
        case 'else':
          if (t.value === 'end') this.expect('right', 'end');
          return { end: t.value, token: t };
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) this.fail(`{{${t.value}}} outside {{range}}`, t);
          this.expect('right', `{{${t.value}}}`);
          return { kind: t.value, pos: t.pos };
        case 'template': {
          const name = this.nextNonSpace();
          if (name.type !== 'string' && name.type !== 'rawString') this.unexpected(name, 'template clause');
          let pipe: Pipe | null = null;
          if (this.peekNonSpace().type !== 'right') pipe = this.pipeline('template clause', 'right');
          else this.nextNonSpace();
          return { kind: 'template', pos: name.pos, name: unquote(name), pipe };
        }
        case 'define': {
          const name = this.nextNonSpace();
          if (name.type !== 'string' && name.type !== 'rawString') this.unexpected(name, 'define clause');
          this.expect('right', 'define clause');
          const saved = this.vars.splice(0, this.vars.length, '$');
          const savedDepth = this.rangeDepth;
          this.rangeDepth = 0;
          const body = this.itemList();
          if (body.end.end !== 'end') this.fail('unexpected {{else}}', body.end.token);
          this.vars.splice(0, this.vars.length, ...saved);
          this.rangeDepth = savedDepth;
          this.defines.set(unquote(name), body.list);
          return { kind: 'text', pos: t.pos, text: '' };
        }
        default:
          this.fail(`{{${t.value}}} is not supported in a --format template`, t);
      }
    }
    this.i--;
    const pipe = this.pipeline('command', 'right');
    return { kind: 'action', pos: pipe.pos, pipe };
  }

  private control(kind: 'if' | 'with' | 'range', keyword: Token): TemplateNode {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, 'right');
    if (kind === 'range') this.rangeDepth++;
    const body = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: TemplateNode[] | null = null;
    if (body.end.end === 'else') {
      const after = this.peekNonSpace();
      if ((kind === 'if' && after.type === 'keyword' && after.value === 'if') || (kind === 'with' && after.type === 'keyword' && after.value === 'with')) {
        // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing one {{end}}.
        this.nextNonSpace();
        elseList = [this.control(kind, after)];
      } else {
        this.expect('right', 'else');
        const rest = this.itemList();
        if (rest.end.end !== 'end') this.fail('expected end; found {{else}}', rest.end.token);
        elseList = rest.list;
      }
    }
    this.vars.length = mark;
    return { kind, pos: keyword.pos, pipe, list: body.list, elseList };
  }

  private pipeline(context: string, end: 'right' | 'rightParen'): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { pos: start.pos, decl: [], isAssign: false, cmds: [] };
    if (start.type === 'variable') this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, t);
        pipe.cmds.forEach((cmd, n) => {
          const first = cmd.args[0];
          if (n > 0 && first !== undefined && ['bool', 'dot', 'nil', 'number', 'string'].includes(first.kind)) {
            this.fail(`non executable command in pipeline stage ${n + 1}`, t);
          }
        });
        return pipe;
      }
      if (['bool', 'char', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string', 'variable', 'leftParen'].includes(t.type)) {
        this.i--;
        pipe.cmds.push(this.command());
      } else {
        this.unexpected(t, context);
      }
    }
  }

  /** `$x :=`, `$x =`, or (range only) `$i, $e :=` at the start of a pipeline. */
  private declarations(pipe: Pipe, context: string): void {
    const save = this.i;
    const first = this.nextNonSpace();
    const after = this.nextNonSpace();
    const names = [first.value];
    let op = after;
    if (after.type === 'comma' && context === 'range') {
      const second = this.nextNonSpace();
      if (second.type !== 'variable') this.fail(`range can only initialize variables`, second);
      names.push(second.value);
      op = this.nextNonSpace();
      if (op.type === 'comma') this.fail(`too many declarations in ${context}`, op);
      if (op.type !== 'declare' && op.type !== 'assign') this.fail('range can only initialize variables', op);
    } else if (after.type === 'comma') {
      this.fail(`too many declarations in ${context}`, after);
    }
    if (op.type !== 'declare' && op.type !== 'assign') {
      this.i = save;
      return;
    }
    pipe.isAssign = op.type === 'assign';
    pipe.decl = names;
    for (const name of names) {
      if (pipe.isAssign) this.useVar(name, first);
      else this.vars.push(name);
    }
  }

  private useVar(name: string, token: Token): void {
    if (!this.vars.includes(name)) this.fail(`undefined variable "${name}"`, token);
  }

  private command(): Command {
    const cmd: Command = { pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== null) cmd.args.push(operand);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'right' || t.type === 'rightParen') this.i--;
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command');
    return cmd;
  }

  private operand(): Operand | null {
    const node = this.term();
    if (node === null || this.peek().type !== 'field') return node;
    const chainPos = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === 'field') fields.push(this.next().value.slice(1));
    switch (node.kind) {
      case 'field':
        return { kind: 'field', pos: chainPos, idents: [...node.idents, ...fields] };
      case 'variable':
        return { kind: 'variable', pos: chainPos, idents: [...node.idents, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        return this.fail(`unexpected . after term ${JSON.stringify(operandString(node))}`);
      default:
        return { kind: 'chain', pos: chainPos, node, fields };
    }
  }

  private term(): Operand | null {
    const t = this.nextNonSpace();
    switch (t.type) {
      case 'identifier':
        if (!this.functions.has(t.value)) this.fail(`function "${t.value}" not defined`, t);
        return { kind: 'identifier', pos: t.pos, name: t.value };
      case 'dot':
        return { kind: 'dot', pos: t.pos };
      case 'nil':
        return { kind: 'nil', pos: t.pos };
      case 'variable':
        this.useVar(t.value, t);
        return { kind: 'variable', pos: t.pos, idents: [t.value] };
      case 'field':
        return { kind: 'field', pos: t.pos, idents: [t.value.slice(1)] };
      case 'bool':
        return { kind: 'bool', pos: t.pos, value: t.value === 'true' };
      case 'number':
      case 'char':
        return { kind: 'number', pos: t.pos, value: this.number(t), text: t.value };
      case 'string':
      case 'rawString':
        return { kind: 'string', pos: t.pos, value: unquote(t), text: t.value };
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        return { kind: 'pipe', pos: t.pos, pipe };
      }
      default:
        this.i--;
        return null;
    }
  }

  private number(t: Token): number | GoFloat {
    if (t.type === 'char') {
      const ch = unquoteGo(t.value.slice(1, -1), t);
      if ([...ch].length !== 1) this.fail(`malformed character constant: ${t.value}`, t);
      return ch.codePointAt(0) ?? 0;
    }
    const text = t.value.replace(/_/g, '');
    const negative = text.startsWith('-');
    const body = text.replace(/^[+-]/, '');
    let value: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(body) || /^0[oO]?[0-7]+$/.test(body) || /^0[bB][01]+$/.test(body)) {
      const prefixed = /^0[0-7]/.test(body) ? `0o${body.slice(1)}` : body;
      value = Number(prefixed);
      return negative ? -value : value;
    }
    value = Number(body);
    if (!Number.isFinite(value) || body === '' || /^0[xXbBoO]/.test(body)) this.fail(`illegal number syntax: "${t.value}"`, t);
    if (negative) value = -value;
    // Go gives a constant written with a point or exponent float64 type, even when it is integral.
    return /[.eE]/.test(body) ? new GoFloat(value) : value;
  }
}

function unquote(t: Token): string {
  if (t.type === 'rawString') return t.value.slice(1, -1).replace(/\r/g, '');
  return unquoteGo(t.value.slice(1, -1), t);
}

function unquoteGo(body: string, t: Token): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case '\\': return '\\';
      case '"': return '"';
      case "'": return "'";
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      default:
        if (/^[0-7]{3}$/.test(e)) return String.fromCodePoint(parseInt(e, 8));
        throw new TemplateParseError(`template: :${t.line}: invalid syntax: ${t.value}`);
    }
  });
}

function describe(t: Token): string {
  if (t.type === 'eof') return 'EOF';
  if (t.type === 'keyword') return `<${t.value}>`;
  if (t.value.length > 10) return `${JSON.stringify(t.value.slice(0, 10))}...`;
  return JSON.stringify(t.value);
}

/** Go's String() of a node, used as the context of execution errors. */
export function operandString(n: Operand): string {
  switch (n.kind) {
    case 'field': return n.idents.map((i) => `.${i}`).join('');
    case 'variable': return n.idents.join('.');
    case 'chain': return `${n.node.kind === 'pipe' ? operandString(n.node) : operandString(n.node)}${n.fields.map((f) => `.${f}`).join('')}`;
    case 'identifier': return n.name;
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return String(n.value);
    case 'number': return n.text;
    case 'string': return n.text;
    case 'pipe': return `(${pipeString(n.pipe)})`;
  }
}

export function commandString(c: Command): string {
  return c.args.map(operandString).join(' ');
}

export function pipeString(p: Pipe): string {
  const decl = p.decl.length > 0 ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : '';
  return decl + p.cmds.map(commandString).join(' | ');
}
