/** YAML for the object editor: what to show, and which line each server field error belongs to. */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node } from 'yaml';
import type { KubeObject, StatusCause } from './client.js';

/** Server-owned metadata hidden in the editor (apply ignores it anyway). */
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'managedFields', 'finalizers', 'ownerReferences'];

/** An object as YAML, whole (for viewing). */
export function toYaml(o: unknown): string {
  return stringify(o, { lineWidth: 0 });
}

/** An object as the YAML a person edits and applies: no status, no server-owned metadata. */
export function editableYaml(o: KubeObject): string {
  const { status: _status, ...rest } = o;
  const metadata = { ...o.metadata };
  for (const k of SERVER_METADATA) delete metadata[k];
  return toYaml({ ...rest, metadata });
}

/** A problem attached to a 1-based line of the text. */
export interface LineProblem {
  line: number;
  field?: string;
  message: string;
}

/** Parses YAML text; returns the value or the syntax problems with their lines. */
export function parseYamlText(text: string): { value?: unknown; problems: LineProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    return { problems: doc.errors.map((e) => ({ line: lc.linePos(e.pos[0]).line, message: e.message.split('\n')[0] })) };
  }
  return { value: doc.toJS({ maxAliasCount: 50 }), problems: [] };
}

/** Splits "spec.replicas[0].name" into ["spec","replicas",0,"name"]. */
export function splitFieldPath(field: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/**
 * Places each server cause on the line of its field (or of the nearest ancestor present in the
 * text, e.g. the parent of a required field the user left out); causes without a field go on line 1.
 */
export function causesToLines(text: string, causes: StatusCause[]): LineProblem[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  return causes.map((c) => {
    const message = c.message || c.reason || 'invalid';
    if (!c.field || c.field === 'body') return { line: 1, field: c.field, message };
    let node: Node | null | undefined = doc.contents;
    let offset = node?.range?.[0] ?? 0;
    for (const seg of splitFieldPath(c.field)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
        if (!pair) break;
        offset = (isScalar(pair.key) && pair.key.range ? pair.key.range[0] : offset);
        node = pair.value as Node | null;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return { line: lc.linePos(offset).line, field: c.field, message };
  });
}
