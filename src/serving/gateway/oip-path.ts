/** Recognises the Open Inference Protocol (V2) and KServe V1 paths the gateway routes, and rebuilds them for a replica. */

/** A routed request path: which service it names, and how to address the same thing on a replica serving `modelName`. */
export interface InferencePath {
  service: string;
  protocol: 'v2' | 'v1';
  /** `metadata` responses carry the model's name in a top-level `name` field, which the gateway rewrites back. */
  kind: 'metadata' | 'ready' | 'infer' | 'predict' | 'other';
  /** The path (with query) to send to a replica whose model is called `modelName`. */
  upstreamPath(modelName: string): string;
}

const V2 = /^\/v2\/models\/([^/]+)(\/.*)?$/;
const V1 = /^\/v1\/models\/([^/:]+)(:[a-z]+)?$/;

/** Parses `/v2/models/{service}[/...]` or `/v1/models/{service}[:verb]` (query string kept); null for any other path or a malformed name. */
export function parseInferencePath(rawUrl: string): InferencePath | null {
  const q = rawUrl.indexOf('?');
  const pathname = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = q === -1 ? '' : rawUrl.slice(q);
  let m = V2.exec(pathname);
  if (m) {
    const service = decode(m[1]);
    if (service === null) return null;
    const rest = m[2] ?? '';
    const tail = rest.replace(/^\/versions\/[^/]+/, '');
    const kind = tail === '' ? 'metadata' : tail === '/ready' ? 'ready' : tail === '/infer' ? 'infer' : 'other';
    return { service, protocol: 'v2', kind, upstreamPath: (model) => `/v2/models/${encodeURIComponent(model)}${rest}${query}` };
  }
  m = V1.exec(pathname);
  if (m) {
    const service = decode(m[1]);
    if (service === null) return null;
    const verb = m[2] ?? '';
    const kind = verb === '' ? 'metadata' : verb === ':predict' ? 'predict' : 'other';
    return { service, protocol: 'v1', kind, upstreamPath: (model) => `/v1/models/${encodeURIComponent(model)}${verb}${query}` };
  }
  return null;
}

function decode(s: string): string | null {
  try {
    const d = decodeURIComponent(s);
    return d.length > 0 && d.length <= 253 ? d : null;
  } catch {
    return null;
  }
}
