/** Parses `KIND`, `KIND NAME` and `KIND/NAME` arguments into a kind and names. */
import type { Kind } from '../api/kind.js';
import type { KindRegistry } from '../api/kind-registry.js';

/** A kind and the names the user gave. */
export interface KindArgs {
  kind: Kind;
  names: string[];
}

/** Resolves the kind by singular, plural, short or Kind name; unknown kinds list what exists. */
export function parseKindArgs(kinds: KindRegistry, args: string[]): KindArgs {
  if (args.length === 0) throw new Error('you must specify the type of resource, e.g. "capstan get projects"');
  let [first, ...names] = args;
  if (first.includes('/')) {
    const [k, n] = first.split('/', 2);
    first = k;
    names = [n, ...names];
  }
  const kind = kinds.find(first);
  if (!kind) {
    const known = kinds.all().map((k) => k.plural).sort().join(', ');
    throw new Error(`the server doesn't have a resource type "${first}" (known: ${known})`);
  }
  return { kind, names };
}
