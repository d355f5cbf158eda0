/**
 * "Try it": an Open Inference Protocol request built from the served model's signature (the ModelVersion's
 * spec.signature, else the model server's own metadata), editable per input or as JSON, sent through the API
 * server's same-origin proxy (the gateway is on another port without CORS), with the answer shown.
 */
import { useEffect, useMemo, useState } from 'react';
import { apiFetch, apiJson, ApiError, errorText, type KubeObject } from '../api/client.js';
import { collectionPath } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { Priority, useCollection } from '../state/collections.js';
import { ErrorBox } from '../ui/common.js';
import { isvcPath, oipRequestFor, routeName, type Tensor } from './isvc-paths.js';

interface OipOutput { name: string; datatype?: string; shape?: number[]; data?: unknown[] }

function parseData(text: string, datatype: string): unknown[] {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (datatype === 'BYTES') return parts;
  if (datatype === 'BOOL') return parts.map((p) => p === 'true' || p === '1');
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isFinite(n)) throw new Error(`"${p}" is not a number`);
    return n;
  });
}

function fmtData(data: unknown[] | undefined): string {
  if (!data) return '';
  const shown = data.slice(0, 64).map((v) => (typeof v === 'number' ? Number(v.toPrecision(6)) : v)).join(', ');
  return data.length > 64 ? `${shown}, … (${data.length} values)` : shown;
}

/** The panel. */
export function TryIt({ object, project }: { object: KubeObject; project: string }) {
  const app = useApp();
  const s = (object.status ?? {}) as { url?: string; modelVersions?: string[] };
  const mvKind = app.kindByKind('ModelVersion');
  const versions = useCollection(mvKind && s.modelVersions?.length ? collectionPath(mvKind, project) : undefined, Priority.related);
  const mvName = s.modelVersions?.[0];
  const fromRegistry = (versions.items.find((v) => v.metadata.name === mvName)?.spec as { signature?: { inputs: Tensor[] } } | undefined)?.signature?.inputs;
  const route = routeName(object);
  const ready = Boolean(s.url);
  const [fromServer, setFromServer] = useState<Tensor[]>();
  const [metaError, setMetaError] = useState<string>();
  useEffect(() => {
    if (fromRegistry || !ready) return;
    const ac = new AbortController();
    apiJson<{ inputs?: Tensor[] }>(isvcPath(object, `proxy/v2/models/${route}`), { signal: ac.signal })
      .then((m) => setFromServer(m.inputs ?? []))
      .catch((err) => !ac.signal.aborted && setMetaError(errorText(err)));
    return () => ac.abort();
  }, [fromRegistry, ready, route, object.metadata.name, object.metadata.namespace]);
  const inputs = fromRegistry ?? fromServer;
  const source = fromRegistry ? `${mvName}'s signature` : fromServer ? "the model server's metadata" : undefined;
  const initial = useMemo(() => (inputs ? oipRequestFor(inputs) : '{\n  "inputs": []\n}'), [inputs]);
  const [raw, setRaw] = useState<string>();
  const [rawMode, setRawMode] = useState(false);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [answer, setAnswer] = useState<{ status: number; ms: number; text: string; outputs?: OipOutput[]; revision?: string }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const dims = (t: Tensor) => t.shape.map((d) => (d < 0 ? 1 : d));
  const fieldText = (t: Tensor) => fields[t.name] ?? Array.from({ length: Math.min(dims(t).reduce((a, b) => a * b, 1), 4096) }, () => (t.datatype === 'BOOL' ? 'false' : '0')).join(', ');
  const build = (): string => {
    if (rawMode || !inputs) return raw ?? initial;
    return JSON.stringify({ inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: dims(t), data: parseData(fieldText(t), t.datatype) })) });
  };
  const send = async () => {
    setError(undefined);
    setAnswer(undefined);
    let body: string;
    try {
      body = build();
      JSON.parse(body);
    } catch (err) {
      setError(`The request is not valid: ${(err as Error).message}`);
      return;
    }
    setBusy(true);
    const t0 = performance.now();
    try {
      const res = await apiFetch(isvcPath(object, `proxy/v2/models/${route}/infer`), { method: 'POST', body });
      const text = await res.text();
      let outputs: OipOutput[] | undefined;
      try {
        outputs = (JSON.parse(text) as { outputs?: OipOutput[] }).outputs;
      } catch {
        // not JSON: shown as text
      }
      setAnswer({ status: res.status, ms: performance.now() - t0, text, outputs, revision: res.headers.get('x-capstan-revision') ?? undefined });
    } catch (err) {
      // The model server's own refusals ({"error": "..."}) are answers to show, not transport failures.
      const body = err instanceof ApiError ? (err.status as { kind?: string; error?: string }) : undefined;
      if (err instanceof ApiError && body && body.kind !== 'Status' && err.httpStatus > 0) {
        setAnswer({ status: err.httpStatus, ms: performance.now() - t0, text: JSON.stringify(body, null, 2) });
        setError(body.error ? `the model server answered: ${body.error}` : errorText(err));
      } else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="tryit-title">
      <h2 id="tryit-title">Try it</h2>
      {!ready ? <p className="muted">The service has no URL yet: it appears once the controller has routed it.</p> : (
        <>
          <p className="small muted">
            POST <code>{s.url}/v2/models/{route}/infer</code> through the API server
            {source ? ` · request built from ${source}` : metaError ? '' : ' · reading the signature…'}
          </p>
          <ErrorBox error={!inputs ? metaError : undefined} title="Signature unknown (write the request yourself)" />
          {inputs && !rawMode ? (
            <div className="tensor-fields">
              {inputs.map((t) => (
                <label className="field" key={t.name}>
                  <span>{t.name} <span className="muted small">{t.datatype} [{dims(t).join(', ')}]{t.shape.some((d) => d < 0) ? ` (from [${t.shape.join(', ')}])` : ''}</span></span>
                  <input type="text" value={fieldText(t)} onChange={(e) => setFields((f) => ({ ...f, [t.name]: e.target.value }))} spellCheck={false} />
                </label>
              ))}
            </div>
          ) : (
            <label className="field"><span>Request (Open Inference Protocol v2, JSON)</span>
              <textarea className="code" rows={8} style={{ minHeight: '8rem' }} value={raw ?? initial} onChange={(e) => setRaw(e.target.value)} spellCheck={false} />
            </label>
          )}
          <div className="row">
            <button type="button" className="primary" onClick={send} disabled={busy}>{busy ? 'Sending…' : 'Send'}</button>
            {inputs ? (
              <button type="button" aria-pressed={rawMode} onClick={() => { if (!rawMode) { try { setRaw(JSON.stringify(JSON.parse(build()), null, 2)); } catch { setRaw(initial); } } setRawMode(!rawMode); }}>
                {rawMode ? 'Edit by input' : 'Edit as JSON'}
              </button>
            ) : null}
          </div>
          <div style={{ marginTop: '.75rem' }}><ErrorBox error={error} title={answer ? "Refused" : "Not sent"} /></div>
          {answer ? (
            <div className="answer" aria-live="polite">
              <p className="small"><span className={`badge ${answer.status < 300 ? 'ok' : 'failing'}`}>HTTP {answer.status}</span> in {answer.ms.toFixed(0)} ms{answer.revision ? ` · answered by revision ${answer.revision}` : ''}</p>
              {answer.outputs?.length ? (
                <div className="table-wrap">
                  <table aria-label="Outputs">
                    <thead><tr><th scope="col">Output</th><th scope="col">Type</th><th scope="col">Shape</th><th scope="col">Values</th></tr></thead>
                    <tbody>{answer.outputs.map((o) => <tr key={o.name}><td>{o.name}</td><td>{o.datatype}</td><td>[{(o.shape ?? []).join(', ')}]</td><td className="msg" data-output={o.name}>{fmtData(o.data)}</td></tr>)}</tbody>
                  </table>
                </div>
              ) : null}
              <details open={!answer.outputs?.length}><summary className="small">Raw answer</summary><pre className="code" aria-label="Answer" style={{ maxHeight: '16rem' }}>{answer.text}</pre></details>
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}
