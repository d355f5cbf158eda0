/** A KFP v2 pipeline YAML file as the SDK writes it: the pipeline spec, then optionally a platform spec document. */
import { parseAllDocuments } from 'yaml';
import type { FieldProblem } from './pipeline-model.js';

/** The documents of a pipeline file. */
export interface IrDocument {
  pipelineSpec: Record<string, unknown>;
  platformSpec?: Record<string, unknown>;
}

/** Parses the YAML (or JSON) text; problems name the document. */
export function parseIrDocument(text: string): { ok: true; doc: IrDocument } | { ok: false; problems: FieldProblem[] } {
  const docs = parseAllDocuments(text);
  const values: unknown[] = [];
  for (const [i, d] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    if (d.errors.length) return { ok: false, problems: [{ field: `document ${i + 1}`, message: d.errors[0]!.message }] };
    const v = d.toJS();
    if (v !== null && v !== undefined) values.push(v);
  }
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  const spec = values.find((v) => isObj(v) && ('pipelineInfo' in v || 'root' in v));
  if (!isObj(spec)) {
    const first = values[0];
    const hint = isObj(first) && 'apiVersion' in first ? ' (this is a Kubernetes-style manifest: use capstan apply)' : '';
    return { ok: false, problems: [{ field: 'pipelineInfo', message: `not a KFP v2 pipeline: no document has pipelineInfo and root${hint}` }] };
  }
  const platform = values.find((v) => isObj(v) && 'platforms' in v);
  const extra = values.filter((v) => v !== spec && v !== platform);
  if (extra.length) return { ok: false, problems: [{ field: 'document', message: 'a pipeline file holds the pipeline spec and at most one platform spec (platforms:)' }] };
  return { ok: true, doc: { pipelineSpec: spec, ...(isObj(platform) ? { platformSpec: platform } : {}) } };
}
