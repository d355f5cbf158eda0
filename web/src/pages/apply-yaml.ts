/** Applies YAML text from the editor with server-side apply, turning every failure into line problems. */
import { apiFetch, ApiError, errorText, type KubeObject } from '../api/client.js';
import { objectPath, type KindInfo } from '../api/discovery.js';
import { causesToLines, parseYamlText, type LineProblem } from '../api/yaml-text.js';

/** What an apply attempt ended with. */
export type ApplyResult =
  | { ok: true; object: KubeObject; kind: KindInfo; action: string }
  | { ok: false; message: string; problems: LineProblem[] };

/** PATCHes the text as application/apply-patch+yaml to the object it names. */
export async function applyYaml(text: string, project: string, kindOf: (k: string) => KindInfo | undefined): Promise<ApplyResult> {
  const parsed = parseYamlText(text);
  if (parsed.problems.length) return { ok: false, message: 'The YAML does not parse.', problems: parsed.problems };
  const v = parsed.value as Partial<KubeObject> | null;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { ok: false, message: 'The YAML must be one object (a mapping with kind and metadata).', problems: [{ line: 1, message: 'expected a mapping' }] };
  const local = (field: string, message: string): ApplyResult => ({ ok: false, message, problems: causesToLines(text, [{ field, message }]) });
  if (typeof v.kind !== 'string' || !v.kind) return local('kind', 'kind is required, e.g. kind: Project');
  const kind = kindOf(v.kind);
  if (!kind) return local('kind', `this server does not serve the kind "${v.kind}"`);
  const name = v.metadata?.name;
  if (typeof name !== 'string' || !name) return local('metadata.name', 'metadata.name is required');
  const ns = kind.namespaced ? (typeof v.metadata?.namespace === 'string' && v.metadata.namespace) || project : undefined;
  try {
    const res = await apiFetch(objectPath(kind, ns, name), { method: 'PATCH', body: text, contentType: 'application/apply-patch+yaml' });
    const object = (await res.json()) as KubeObject;
    return { ok: true, object, kind, action: res.headers.get('x-capstan-apply') ?? (res.status === 201 ? 'created' : 'configured') };
  } catch (err) {
    if (err instanceof ApiError) {
      const causes = err.causes.length ? err.causes : [];
      return { ok: false, message: errorText(err), problems: causesToLines(text, causes) };
    }
    return { ok: false, message: errorText(err), problems: [] };
  }
}
