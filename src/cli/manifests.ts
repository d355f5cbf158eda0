/** Reads manifests for `apply`/`delete -f`: files, directories (sorted), or stdin; YAML (multi-document) or JSON (objects or Lists). */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** One document with where it came from, for error messages. */
export interface ManifestDoc {
  source: string;
  index: number;
  object: Record<string, unknown>;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Loads every document from the given path ("-" is stdin). */
export function readManifests(path: string, stdin: () => string = () => readFileSync(0, 'utf8')): ManifestDoc[] {
  if (path === '-') return parseManifestText(stdin(), '<stdin>');
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(`${path}: no such file or directory`);
  }
  if (st.isDirectory()) {
    return readdirSync(path)
      .filter((f) => EXTENSIONS.has(extname(f)))
      .sort()
      .flatMap((f) => readManifests(join(path, f), stdin));
  }
  return parseManifestText(readFileSync(path, 'utf8'), path);
}

/** Parses YAML/JSON text into documents; a `List` contributes its items. */
export function parseManifestText(text: string, source: string): ManifestDoc[] {
  const out: ManifestDoc[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    if (doc.errors.length) throw new Error(`${source}: document ${i + 1}: invalid YAML: ${doc.errors[0].message}`);
    const value = doc.toJS({ maxAliasCount: 50 }) as unknown;
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${source}: document ${i + 1}: expected a mapping with apiVersion and kind`);
    const rec = value as Record<string, unknown>;
    if (typeof rec.kind === 'string' && rec.kind.endsWith('List') && Array.isArray(rec.items)) {
      rec.items.forEach((item, j) => out.push({ source, index: out.length, object: item as Record<string, unknown> }));
      void i;
      return;
    }
    out.push({ source, index: i, object: rec });
  });
  return out;
}
