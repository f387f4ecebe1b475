// Reads Bicep with the tree-sitter Bicep grammar (the wasm shipped by the tree-sitter-bicep package,
// loaded by web-tree-sitter; nothing is downloaded). Only syntax: no type checking, no symbol
// resolution beyond what the helpers below do by hand. The Bicep compiler cannot run here.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Language, Parser, type Node } from 'web-tree-sitter';

export type { Node };

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const infraDir = join(repoRoot, 'infra');

let parserPromise: Promise<Parser> | undefined;

/** One parser for the whole test file; the grammar comes from node_modules. */
export function bicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const wasm = createRequire(import.meta.url).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
    const language = await Language.load(readFileSync(wasm));
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

export interface SyntaxProblem {
  kind: 'ERROR' | 'MISSING';
  line: number;
  column: number;
  text: string;
}

export function parse(parser: Parser, source: string): Node {
  const tree = parser.parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree.rootNode;
}

/** Every ERROR and MISSING node, with 1-based positions. */
export function syntaxProblems(root: Node): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const walk = (n: Node): void => {
    if (n.type === 'ERROR' || n.isMissing) {
      problems.push({
        kind: n.isMissing ? 'MISSING' : 'ERROR',
        line: n.startPosition.row + 1,
        column: n.startPosition.column + 1,
        text: n.isMissing ? n.type : n.text.slice(0, 40),
      });
    }
    for (const c of n.children) walk(c);
  };
  walk(root);
  return problems;
}

/** Every .bicep file under infra/, as paths relative to the repository root. */
export function bicepFiles(dir = infraDir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...bicepFiles(full));
    else if (entry.name.endsWith('.bicep')) out.push(relative(repoRoot, full));
  }
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// A small model of a Bicep file, read from the tree.

export interface Decorated {
  name: string;
  /** Decorator names (secure, allowed, minValue, ...) with their arguments. */
  decorators: Map<string, Node[]>;
  node: Node;
}
export interface Param extends Decorated {
  type: string;
  defaultValue?: Node;
}
export interface Variable {
  name: string;
  value: Node;
}
export interface Resource {
  symbol: string;
  /** Resource type without the API version, e.g. Microsoft.Web/sites. */
  type: string;
  apiVersion: string;
  existing: boolean;
  /** The body object (inside a for loop or an if, when there is one). */
  body: Node;
  loop?: { variable: string; collection: Node };
  node: Node;
}
export interface ModuleRef {
  symbol: string;
  path: string;
  body: Node;
}
export interface Output extends Decorated {
  type: string;
  value: Node;
}

export interface BicepFile {
  path: string;
  root: Node;
  params: Map<string, Param>;
  vars: Map<string, Variable>;
  resources: Resource[];
  modules: ModuleRef[];
  outputs: Output[];
}

const named = (n: Node): Node[] => n.namedChildren.filter((c) => c.type !== 'comment' && c.type !== 'diagnostic_comment');

function decoratorsBefore(n: Node): Map<string, Node[]> {
  const result = new Map<string, Node[]>();
  let prev = n.previousNamedSibling;
  while (prev && prev.type === 'comment') prev = prev.previousNamedSibling;
  if (prev?.type !== 'decorators') return result;
  for (const d of named(prev)) {
    const call = named(d)[0];
    if (call?.type !== 'call_expression') continue;
    const fn = call.childForFieldName('function');
    const args = call.childForFieldName('arguments');
    if (fn) result.set(fn.text.replace(/^sys\./, ''), args ? named(args) : []);
  }
  return result;
}

export function readBicepFile(parser: Parser, path: string): BicepFile {
  const root = parse(parser, readFileSync(join(repoRoot, path), 'utf8'));
  const file: BicepFile = { path, root, params: new Map(), vars: new Map(), resources: [], modules: [], outputs: [] };
  for (const stmt of named(root)) {
    const kids = named(stmt);
    switch (stmt.type) {
      case 'parameter_declaration': {
        const [id, type, value] = kids;
        if (!id || !type) break;
        file.params.set(id.text, { name: id.text, type: type.text, defaultValue: value, decorators: decoratorsBefore(stmt), node: stmt });
        break;
      }
      case 'variable_declaration': {
        const [id, value] = kids;
        if (id && value) file.vars.set(id.text, { name: id.text, value });
        break;
      }
      case 'resource_declaration': {
        const [id, typeNode, body] = kids;
        if (!id || !typeNode || !body) break;
        const [type = '', apiVersion = ''] = (stringValue(typeNode) ?? '').split('@');
        const existing = stmt.children.some((c) => c.type === 'existing');
        let object = body;
        let loop: Resource['loop'];
        if (body.type === 'for_statement') {
          const variable = body.childForFieldName('initializer');
          const collection = named(body).find((c) => c.id !== variable?.id && c.type !== 'object');
          object = body.childForFieldName('body') ?? body;
          if (variable && collection) loop = { variable: variable.text, collection };
        } else if (body.type === 'if_statement') {
          object = named(body).find((c) => c.type === 'object') ?? body;
        }
        file.resources.push({ symbol: id.text, type, apiVersion, existing, body: object, loop, node: stmt });
        break;
      }
      case 'module_declaration': {
        const [id, pathNode, body] = kids;
        if (!id || !pathNode || !body) break;
        const object = body.type === 'object' ? body : (named(body).find((c) => c.type === 'object') ?? body);
        file.modules.push({ symbol: id.text, path: stringValue(pathNode) ?? '', body: object });
        break;
      }
      case 'output_declaration': {
        const [id, type, value] = kids;
        if (!id || !type || !value) break;
        file.outputs.push({ name: id.text, type: type.text, value, decorators: decoratorsBefore(stmt), node: stmt });
        break;
      }
    }
  }
  return file;
}

// ---------------------------------------------------------------------------------------------
// Values

/** The value of a string literal without interpolation; undefined otherwise. */
export function stringValue(n: Node | undefined | null): string | undefined {
  if (!n || n.type !== 'string') return undefined;
  let out = '';
  for (const c of named(n)) {
    if (c.type === 'string_content') out += c.text;
    else if (c.type === 'escape_sequence') out += unescape(c.text);
    else return undefined;
  }
  return out;
}

function unescape(seq: string): string {
  const map: Record<string, string> = { '\\n': '\n', '\\r': '\r', '\\t': '\t', "\\'": "'", '\\\\': '\\', '\\$': '$' };
  return map[seq] ?? seq;
}

/** A literal (string, bool, number) or undefined. */
export function literal(n: Node | undefined | null): string | boolean | number | undefined {
  if (!n) return undefined;
  if (n.type === 'string') return stringValue(n);
  if (n.type === 'boolean') return n.text === 'true';
  if (n.type === 'number') return Number(n.text);
  return undefined;
}

function propertyKey(p: Node): string | undefined {
  const key = named(p)[0];
  if (!key) return undefined;
  return key.type === 'string' ? stringValue(key) : key.text;
}

/** The value node of `key` in an object node. */
export function prop(obj: Node | undefined | null, key: string): Node | undefined {
  if (!obj || obj.type !== 'object') return undefined;
  for (const p of named(obj)) {
    if (p.type !== 'object_property') continue;
    if (propertyKey(p) === key) return named(p)[1];
  }
  return undefined;
}

/** Follows a dotted path of object keys: path(body, 'properties.siteConfig.minTlsVersion'). */
export function path(obj: Node | undefined | null, dotted: string): Node | undefined {
  let cur: Node | undefined | null = obj;
  for (const key of dotted.split('.')) cur = prop(cur, key);
  return cur ?? undefined;
}

/** The elements of an array node. */
export function elements(arr: Node | undefined | null): Node[] {
  return arr && arr.type === 'array' ? named(arr) : [];
}

/** Every descendant (and the node itself) that matches. */
export function descendants(n: Node, match: (d: Node) => boolean): Node[] {
  const out: Node[] = [];
  const walk = (d: Node): void => {
    if (match(d)) out.push(d);
    for (const c of d.namedChildren) walk(c);
  };
  walk(n);
  return out;
}

/** Identifiers a node refers to (the head of member expressions and plain identifiers). */
export function referencedIdentifiers(n: Node): string[] {
  return descendants(n, (d) => d.type === 'identifier').map((d) => d.text);
}

export function callName(n: Node): string | undefined {
  return n.type === 'call_expression' ? n.childForFieldName('function')?.text : undefined;
}

export function callArgs(n: Node): Node[] {
  const args = n.childForFieldName('arguments');
  return args ? named(args) : [];
}

// ---------------------------------------------------------------------------------------------
// The whole of infra/: every file, the module wiring, and a small evaluator for setting values.

export type Value = string | boolean | number | undefined;

export interface AppSetting {
  name: string;
  value: Node;
  file: BicepFile;
}

export class Infra {
  readonly files = new Map<string, BicepFile>();
  /** Module file path -> the module declaration that calls it and the calling file. */
  private readonly callers = new Map<string, { caller: BicepFile; module: ModuleRef }>();

  constructor(
    parser: Parser,
    readonly mainPath = 'infra/main.bicep',
    /** Values of main.bicep parameters (from main.parameters.json). */
    readonly parameterValues: Record<string, unknown> = {},
  ) {
    for (const p of bicepFiles()) this.files.set(p, readBicepFile(parser, p));
    for (const file of this.files.values()) {
      for (const m of file.modules) {
        const target = relative(repoRoot, resolve(repoRoot, dirname(file.path), m.path));
        this.callers.set(target, { caller: file, module: m });
      }
    }
  }

  get main(): BicepFile {
    const f = this.files.get(this.mainPath);
    if (!f) throw new Error(`${this.mainPath} not found`);
    return f;
  }

  callerOf(file: BicepFile): { caller: BicepFile; module: ModuleRef } | undefined {
    return this.callers.get(file.path);
  }

  resources(type?: string): (Resource & { file: BicepFile })[] {
    const all = [...this.files.values()].flatMap((file) => file.resources.map((r) => ({ ...r, file })));
    return type ? all.filter((r) => r.type.toLowerCase() === type.toLowerCase()) : all;
  }

  outputs(): (Output & { file: BicepFile })[] {
    return [...this.files.values()].flatMap((file) => file.outputs.map((o) => ({ ...o, file })));
  }

  params(): (Param & { file: BicepFile })[] {
    return [...this.files.values()].flatMap((file) => [...file.params.values()].map((p) => ({ ...p, file })));
  }

  /** Every app setting of every Microsoft.Web/sites resource (siteConfig.appSettings). */
  appSettings(): AppSetting[] {
    const out: AppSetting[] = [];
    for (const site of this.resources('Microsoft.Web/sites')) {
      for (const entry of elements(path(site.body, 'properties.siteConfig.appSettings'))) {
        const name = stringValue(prop(entry, 'name'));
        const value = prop(entry, 'value');
        if (name !== undefined && value) out.push({ name, value, file: site.file });
      }
    }
    return out;
  }

  /**
   * Evaluates what can be known before deployment: literals, string interpolation, parameters
   * (through module calls up to main.bicep and its parameter file or defaults), variables and the
   * first branch of a ternary. A run-time value inside an interpolation becomes `unknown`; a whole
   * expression that cannot be known is undefined.
   */
  evaluate(n: Node, file: BicepFile, depth = 0): Value {
    if (depth > 20) return undefined;
    switch (n.type) {
      case 'string': {
        let out = '';
        for (const c of named(n)) {
          if (c.type === 'string_content') out += c.text;
          else if (c.type === 'escape_sequence') out += unescape(c.text);
          else if (c.type === 'interpolation') {
            const inner = named(c)[0];
            const v = inner ? this.evaluate(inner, file, depth + 1) : undefined;
            out += v === undefined ? 'unknown' : String(v);
          }
        }
        return out;
      }
      case 'boolean':
      case 'number':
        return literal(n);
      case 'parenthesized_expression': {
        const inner = named(n)[0];
        return inner ? this.evaluate(inner, file, depth + 1) : undefined;
      }
      case 'ternary_expression': {
        const first = n.childForFieldName('consequence');
        const second = n.childForFieldName('alternative');
        const a = first ? this.evaluate(first, file, depth + 1) : undefined;
        return a ?? (second ? this.evaluate(second, file, depth + 1) : undefined);
      }
      case 'identifier': {
        const v = file.vars.get(n.text);
        if (v) return this.evaluate(v.value, file, depth + 1);
        const p = file.params.get(n.text);
        if (!p) return undefined;
        const call = this.callerOf(file);
        if (call) {
          const given = prop(prop(call.module.body, 'params'), p.name);
          if (given) return this.evaluate(given, call.caller, depth + 1);
        } else if (file.path === this.mainPath && p.name in this.parameterValues) {
          const given = this.parameterValues[p.name];
          if (typeof given === 'string' || typeof given === 'number' || typeof given === 'boolean') return given;
        }
        return p.defaultValue ? this.evaluate(p.defaultValue, file, depth + 1) : undefined;
      }
      default:
        return undefined;
    }
  }

  /**
   * Where an expression comes from: follows identifiers through variables and module parameters
   * and returns the expression text at the end of the chain (e.g. `vault.properties.vaultUri`).
   */
  trace(n: Node, file: BicepFile, depth = 0): { text: string; file: BicepFile } {
    if (depth > 20) return { text: n.text, file };
    if (n.type === 'identifier') {
      const v = file.vars.get(n.text);
      if (v) return this.trace(v.value, file, depth + 1);
      const p = file.params.get(n.text);
      const call = p ? this.callerOf(file) : undefined;
      const given = call && p ? prop(prop(call.module.body, 'params'), p.name) : undefined;
      if (call && given) return this.trace(given, call.caller, depth + 1);
    }
    if (n.type === 'member_expression') {
      // <module>.outputs.<name> -> the output's value in the module file.
      const m = /^(\w+)\.outputs\.(\w+)$/.exec(n.text);
      const mod = m ? file.modules.find((x) => x.symbol === m[1]) : undefined;
      if (m && mod) {
        const target = this.files.get(relative(repoRoot, resolve(repoRoot, dirname(file.path), mod.path)));
        const out = target?.outputs.find((o) => o.name === m[2]);
        if (target && out) return this.trace(out.value, target, depth + 1);
      }
    }
    return { text: n.text, file };
  }
}
