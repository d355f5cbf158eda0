/**
 * Pure: a search space of named parameters (Katib's int, double, categorical, discrete, with
 * optional step and log scale) and its encoding into the unit hypercube that the model-based
 * algorithms work in. Every parameter maps to one coordinate in [0, 1]; a parameter with a
 * finite set of values (int, stepped double, discrete, categorical) maps value k of n to the
 * middle of the k-th of n equal cells, so decoding any u gives a feasible value.
 */

/** Katib's parameter types. */
export type ParameterType = 'int' | 'double' | 'categorical' | 'discrete';

/** One parameter of the space. */
export interface ParameterSpec {
  name: string;
  type: ParameterType;
  min?: number;
  max?: number;
  step?: number;
  /** The values of a categorical or discrete parameter (discrete ones are numbers as text). */
  list?: string[];
  /** Log-uniform between min and max (Katib's `distribution: logUniform`). */
  log?: boolean;
}

/** A trial's values, by parameter name, as text (Katib assigns strings). */
export type Assignment = Record<string, string>;

/** How a coordinate is modelled: a real interval, ordered finite values, or unordered values. */
export type DimensionKind = 'continuous' | 'ordinal' | 'categorical';

/** The finite values of a parameter, or undefined for a continuous one. */
export function finiteValues(p: ParameterSpec): string[] | undefined {
  if (p.type === 'categorical' || p.type === 'discrete') return p.list ?? [];
  if (p.type === 'int') {
    const step = p.step && p.step > 0 ? Math.round(p.step) || 1 : 1;
    if (p.log) return undefined;
    const out: string[] = [];
    for (let v = p.min!; v <= p.max! && out.length < 1_000_000; v += step) out.push(String(v));
    return out;
  }
  if (p.step !== undefined && p.step > 0 && !p.log) {
    const n = Math.floor((p.max! - p.min!) / p.step + 1e-9) + 1;
    const decimals = decimalsOf(p.step, p.min!);
    return Array.from({ length: Math.min(n, 1_000_000) }, (_, i) => formatNumber(p.min! + i * p.step!, decimals));
  }
  return undefined;
}

/** How the model-based algorithms treat a parameter. */
export function dimensionKind(p: ParameterSpec): DimensionKind {
  if (p.type === 'categorical') return 'categorical';
  return finiteValues(p) === undefined ? 'continuous' : 'ordinal';
}

function decimalsOf(...xs: number[]): number {
  let d = 0;
  for (const x of xs) {
    const s = String(x);
    const e = s.indexOf('e-');
    if (e >= 0) d = Math.max(d, Number(s.slice(e + 2)) + (s.split('.')[1]?.split('e')[0]?.length ?? 0));
    else d = Math.max(d, s.split('.')[1]?.length ?? 0);
  }
  return Math.min(d, 15);
}

/** Formats a number without float noise (0.30000000000000004 → 0.3). */
export function formatNumber(x: number, decimals?: number): string {
  if (decimals !== undefined) return String(Number(x.toFixed(decimals)));
  return String(Number(x.toPrecision(12)));
}

/** A parameter's value for a coordinate u in [0, 1]. */
export function decodeValue(p: ParameterSpec, u: number): string {
  const x = Math.min(1, Math.max(0, u));
  const values = finiteValues(p);
  if (values) return values[Math.min(values.length - 1, Math.floor(x * values.length))]!;
  const lo = p.min!;
  const hi = p.max!;
  if (p.log) {
    if (p.type === 'int') {
      const v = Math.floor(Math.exp(Math.log(lo) + x * (Math.log(hi + 1) - Math.log(lo))));
      return String(Math.min(hi, Math.max(lo, v)));
    }
    return formatNumber(Math.exp(Math.log(lo) + x * (Math.log(hi) - Math.log(lo))));
  }
  return formatNumber(lo + x * (hi - lo));
}

/** The coordinate of a value (the middle of its cell for finite values); NaN when the value is not in the space. */
export function encodeValue(p: ParameterSpec, value: string): number {
  const values = finiteValues(p);
  if (values) {
    let k = values.indexOf(value);
    if (k < 0 && p.type !== 'categorical') {
      const v = Number(value);
      k = values.findIndex((s) => Math.abs(Number(s) - v) < 1e-9 * Math.max(1, Math.abs(v)));
    }
    return k < 0 ? Number.NaN : (k + 0.5) / values.length;
  }
  const v = Number(value);
  if (!Number.isFinite(v)) return Number.NaN;
  const lo = p.min!;
  const hi = p.max!;
  if (p.log) {
    if (p.type === 'int') return clamp01((Math.log(v + 0.5) - Math.log(lo)) / (Math.log(hi + 1) - Math.log(lo)));
    return clamp01((Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)));
  }
  return hi === lo ? 0.5 : clamp01((v - lo) / (hi - lo));
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** An assignment from a point of the unit hypercube. */
export function decodePoint(space: readonly ParameterSpec[], u: readonly number[]): Assignment {
  const out: Assignment = {};
  space.forEach((p, i) => (out[p.name] = decodeValue(p, u[i]!)));
  return out;
}

/** The point of an assignment; undefined when any value lies outside the space. */
export function encodePoint(space: readonly ParameterSpec[], a: Assignment): number[] | undefined {
  const out: number[] = [];
  for (const p of space) {
    const v = a[p.name];
    if (v === undefined) return undefined;
    const u = encodeValue(p, v);
    if (Number.isNaN(u)) return undefined;
    out.push(u);
  }
  return out;
}

/** A stable key of an assignment (for grid bookkeeping and deduplication). */
export function assignmentKey(space: readonly ParameterSpec[], a: Assignment): string {
  return space.map((p) => `${p.name}=${a[p.name] ?? ''}`).join('\u0000');
}

/** Problems with a space, each as [field path, message]; empty when it is usable. */
export function spaceProblems(space: readonly ParameterSpec[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  space.forEach((p, i) => {
    const at = `${i}`;
    if (seen.has(p.name)) out.push([`${at}.name`, `duplicate parameter ${p.name}`]);
    seen.add(p.name);
    if (p.type === 'categorical' || p.type === 'discrete') {
      if (!p.list || p.list.length === 0) out.push([`${at}.feasibleSpace.list`, `a ${p.type} parameter needs at least one value`]);
      else if (new Set(p.list).size !== p.list.length) out.push([`${at}.feasibleSpace.list`, 'values must be distinct']);
      if (p.type === 'discrete' && p.list?.some((v) => !Number.isFinite(Number(v)) || v.trim() === '')) out.push([`${at}.feasibleSpace.list`, 'discrete values must be numbers']);
      return;
    }
    if (p.min === undefined || !Number.isFinite(p.min)) out.push([`${at}.feasibleSpace.min`, 'a number is required']);
    if (p.max === undefined || !Number.isFinite(p.max)) out.push([`${at}.feasibleSpace.max`, 'a number is required']);
    if (p.min === undefined || p.max === undefined || !Number.isFinite(p.min) || !Number.isFinite(p.max)) return;
    if (p.type === 'int' && (!Number.isInteger(p.min) || !Number.isInteger(p.max))) out.push([`${at}.feasibleSpace`, 'int bounds must be whole numbers']);
    if (p.min > p.max) out.push([`${at}.feasibleSpace`, `min ${p.min} is above max ${p.max}`]);
    else if (p.min === p.max && p.type === 'double') out.push([`${at}.feasibleSpace`, `empty range: min equals max (${p.min})`]);
    if (p.step !== undefined && !(p.step > 0)) out.push([`${at}.feasibleSpace.step`, 'step must be positive']);
    if (p.type === 'int' && p.step !== undefined && !Number.isInteger(p.step)) out.push([`${at}.feasibleSpace.step`, 'an int step must be a whole number']);
    if (p.log && p.min <= 0) out.push([`${at}.feasibleSpace.min`, 'a log-uniform range needs min > 0']);
    if (p.log && p.step !== undefined) out.push([`${at}.feasibleSpace.step`, 'a log-uniform range takes no step']);
  });
  return out;
}
