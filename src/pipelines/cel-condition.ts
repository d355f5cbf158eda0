/**
 * The subset of CEL that KFP compiles `dsl.If/Elif/Else` and `dsl.Condition` into:
 * `inputs.parameter_values['name']`, string/number/bool/null literals, `== != < <= > >=`,
 * `&& || !`, parentheses, `int() double() string()` and `parseJson()`. Pure: parse once, evaluate
 * against a task's resolved input parameters.
 */

type Node =
  | { t: 'lit'; v: unknown }
  | { t: 'param'; name: string }
  | { t: 'not'; e: Node }
  | { t: 'neg'; e: Node }
  | { t: 'bin'; op: string; l: Node; r: Node }
  | { t: 'call'; fn: string; args: Node[] }
  | { t: 'index'; e: Node; key: Node };

/** A parsed condition. */
export interface Condition {
  source: string;
  /** Input parameters the condition reads. */
  params: string[];
  ast: Node;
}

const TOKEN = /\s*(?:(\d+\.\d*|\d+)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(==|!=|<=|>=|&&|\|\||[<>!()[\].,+-])|([A-Za-z_][A-Za-z0-9_]*))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new Error(`unexpected character at ${pos}: ${src.slice(pos, pos + 10)}`);
    out.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
    pos = TOKEN.lastIndex;
  }
  return out;
}

const FUNCTIONS = new Set(['int', 'double', 'string', 'parseJson', 'bool']);

/** Parses a condition; throws with a message naming the problem. */
export function parseCondition(source: string): Condition {
  const toks = tokenize(source);
  let i = 0;
  const params: string[] = [];
  const peek = () => toks[i];
  const take = (want?: string) => {
    const t = toks[i++];
    if (t === undefined) throw new Error('unexpected end of expression');
    if (want !== undefined && t !== want) throw new Error(`expected ${want}, got ${t}`);
    return t;
  };
  const levels: string[][] = [['||'], ['&&'], ['==', '!=', '<', '<=', '>', '>=']];
  const binary = (level: number): Node => {
    if (level === levels.length) return unary();
    let l = binary(level + 1);
    while (peek() !== undefined && levels[level]!.includes(peek()!)) {
      const op = take();
      l = { t: 'bin', op, l, r: binary(level + 1) };
    }
    return l;
  };
  const unary = (): Node => {
    if (peek() === '!') {
      take();
      return { t: 'not', e: unary() };
    }
    if (peek() === '-') {
      take();
      return { t: 'neg', e: unary() };
    }
    return postfix(primary());
  };
  const postfix = (e: Node): Node => {
    while (peek() === '[') {
      take('[');
      const key = binary(0);
      take(']');
      e = { t: 'index', e, key };
    }
    return e;
  };
  const primary = (): Node => {
    const t = take();
    if (t === '(') {
      const e = binary(0);
      take(')');
      return e;
    }
    if (/^\d/.test(t)) return { t: 'lit', v: Number(t) };
    if (t.startsWith("'") || t.startsWith('"')) return { t: 'lit', v: t.slice(1, -1).replace(/\\(.)/g, '$1') };
    if (t === 'true' || t === 'false') return { t: 'lit', v: t === 'true' };
    if (t === 'null') return { t: 'lit', v: null };
    if (t === 'inputs') {
      take('.');
      const f = take();
      if (f !== 'parameter_values') throw new Error(`only inputs.parameter_values is supported, got inputs.${f}`);
      take('[');
      const k = take();
      if (!k.startsWith("'") && !k.startsWith('"')) throw new Error('inputs.parameter_values takes a quoted name');
      take(']');
      const name = k.slice(1, -1);
      params.push(name);
      return { t: 'param', name };
    }
    if (FUNCTIONS.has(t)) {
      take('(');
      const args: Node[] = [];
      if (peek() !== ')') {
        args.push(binary(0));
        while (peek() === ',') {
          take(',');
          args.push(binary(0));
        }
      }
      take(')');
      return { t: 'call', fn: t, args };
    }
    throw new Error(`unsupported token ${t}`);
  };
  const ast = binary(0);
  if (i < toks.length) throw new Error(`unexpected ${toks[i]} after the expression`);
  return { source, params: [...new Set(params)], ast };
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === '==') return JSON.stringify(a) === JSON.stringify(b);
  if (op === '!=') return JSON.stringify(a) !== JSON.stringify(b);
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) throw new Error(`cannot compare ${JSON.stringify(a)} ${op} ${JSON.stringify(b)}`);
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function evalNode(n: Node, values: Record<string, unknown>): unknown {
  switch (n.t) {
    case 'lit':
      return n.v;
    case 'param':
      if (!(n.name in values)) throw new Error(`input parameter ${n.name} has no value`);
      return values[n.name];
    case 'not':
      return !truthy(evalNode(n.e, values));
    case 'neg':
      return -Number(evalNode(n.e, values));
    case 'index': {
      const base = evalNode(n.e, values) as Record<string, unknown> | unknown[];
      const key = evalNode(n.key, values) as string | number;
      if (base === null || typeof base !== 'object') throw new Error(`cannot index ${JSON.stringify(base)}`);
      return (base as Record<string, unknown>)[key as string];
    }
    case 'call': {
      const [a] = n.args.map((x) => evalNode(x, values));
      if (n.fn === 'int') return Math.trunc(Number(a));
      if (n.fn === 'double') return Number(a);
      if (n.fn === 'bool') return a === true || a === 'true';
      if (n.fn === 'string') return typeof a === 'string' ? a : JSON.stringify(a);
      return typeof a === 'string' ? JSON.parse(a) : a;
    }
    case 'bin': {
      if (n.op === '&&') return truthy(evalNode(n.l, values)) && truthy(evalNode(n.r, values));
      if (n.op === '||') return truthy(evalNode(n.l, values)) || truthy(evalNode(n.r, values));
      return compare(n.op, evalNode(n.l, values), evalNode(n.r, values));
    }
  }
}

function truthy(v: unknown): boolean {
  if (typeof v !== 'boolean') throw new Error(`expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** Evaluates a condition against input parameter values; throws when it reads a missing value or mixes types. */
export function evaluateCondition(c: Condition, values: Record<string, unknown>): boolean {
  return truthy(evalNode(c.ast, values));
}
