// Kubernetes quantity strings → integers: cpu in millicores, memory/storage in bytes, others in counts.
// Integers keep quota arithmetic exact (no 0.1 + 0.2 drift) and comparisons cheap.

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const PATTERN = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** Thrown for a malformed quantity; `message` names the value. */
export class QuantityError extends Error {
  override name = 'QuantityError';
}

/** Parse a quantity to its base value as a float ("500m" → 0.5, "4Gi" → 4294967296). */
export function parseQuantityValue(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityError(`invalid quantity ${input}`);
    return input;
  }
  const s = input.trim();
  const m = PATTERN.exec(s);
  if (!m) throw new QuantityError(`invalid quantity "${input}"`);
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  const mult = BINARY[suffix] ?? DECIMAL[suffix];
  return base * (mult as number);
}

/** Parse a quantity for a resource into an integer: millicores for cpu, bytes for memory, counts otherwise (rounded up). */
export function parseQuantity(input: string | number, resource: string): number {
  const v = parseQuantityValue(input);
  if (v < 0) throw new QuantityError(`negative quantity "${input}" for ${resource}`);
  // Round up like Kubernetes does for requests: 0.5 of a GPU still occupies a GPU's quota unit.
  const scaled = resource === 'cpu' ? v * 1000 : v;
  return Math.ceil(scaled - 1e-9);
}

/** Parse a map of resource → quantity string into a ResourceList of integers. */
export function parseResourceList(list: Record<string, string | number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(list)) out[k] = parseQuantity(v, k);
  return out;
}

/** Render an integer amount back as a short human quantity ("4", "500m", "16Gi"). */
export function formatQuantity(amount: number, resource: string): string {
  if (resource === 'cpu') return amount % 1000 === 0 ? String(amount / 1000) : `${amount}m`;
  if (resource === 'memory' || resource.endsWith('storage')) {
    for (const [suf, mult] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
      if (amount >= mult && amount % mult === 0) return `${amount / mult}${suf}`;
    }
    if (amount >= 2 ** 30) return `${(amount / 2 ** 30).toFixed(1)}Gi`;
    return String(amount);
  }
  return String(amount);
}
