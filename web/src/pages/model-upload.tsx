/**
 * Upload a model file as a new version: the bytes stream to …/models/{model}/blobs with XMLHttpRequest (fetch has
 * no upload progress events), then …/models/{model}/versions registers the version with its digest, metrics and
 * aliases — the same two steps as `capstan models push`.
 */
import { useState, type FormEvent } from 'react';
import { apiJson, ApiError, errorText, authHeaders, type KubeObject, type Status } from '../api/client.js';
import { useApp } from '../state/app-context.js';
import { href, Link } from '../state/router.js';
import { ErrorBox } from '../ui/common.js';

const base = (project: string, model: string) => `/apis/capstan.dev/v1alpha1/namespaces/${encodeURIComponent(project)}/models/${encodeURIComponent(model)}`;

/** Streams a file with progress; resolves with the server's {sha256, size}. */
export function uploadBlob(url: string, file: File, onProgress: (sent: number, total: number) => void, signal: AbortSignal): Promise<{ sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(authHeaders('POST'))) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { message: xhr.responseText.slice(0, 300) || xhr.statusText };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as { sha256: string; size: number });
      else reject(new ApiError(body as Status, xhr.status));
    };
    xhr.onerror = () => reject(new ApiError({ message: 'the upload was cut off: is the server still running?' }, 0));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    signal.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}

function parseMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(/[,\n]/).map((p) => p.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    const n = Number(v);
    if (!k || v === undefined || !Number.isFinite(n)) throw new Error(`"${part}" is not name=number`);
    out[k.trim()] = n;
  }
  return out;
}

/** The upload form; `model` fixes the model (on a model's page). */
export function ModelUpload({ project, model: fixedModel }: { project: string; model?: string }) {
  const app = useApp();
  const mvKind = app.kindByKind('ModelVersion');
  const [model, setModel] = useState(fixedModel ?? '');
  const [file, setFile] = useState<File>();
  const [version, setVersion] = useState('');
  const [metrics, setMetrics] = useState('');
  const [alias, setAlias] = useState('');
  const [progress, setProgress] = useState<{ sent: number; total: number }>();
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'registering'>('idle');
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<KubeObject>();
  const [ac, setAc] = useState<AbortController>();
  // a new key empties the file input after a successful upload
  const [fileKey, setFileKey] = useState(0);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setDone(undefined);
    if (!model.trim()) return setError('Name the model (lowercase, e.g. digits).');
    if (!file) return setError('Choose a file to upload.');
    let m: Record<string, number>;
    try {
      m = parseMetrics(metrics);
    } catch (err) {
      return setError(`Metrics: ${(err as Error).message}`);
    }
    const controller = new AbortController();
    setAc(controller);
    try {
      setPhase('uploading');
      setProgress({ sent: 0, total: file.size });
      const blob = await uploadBlob(`${base(project, model)}/blobs`, file, (sent, total) => setProgress({ sent, total }), controller.signal);
      setPhase('registering');
      const format = /\.onnx$/i.test(file.name) ? 'onnx' : 'file';
      const body = { format, file: { path: file.name, sha256: blob.sha256 }, metrics: m, ...(version.trim() ? { version: version.trim() } : {}), ...(alias.trim() ? { aliases: [alias.trim()], reason: 'uploaded from the dashboard' } : {}) };
      const mv = await apiJson<KubeObject>(`${base(project, model)}/versions`, { method: 'POST', body: JSON.stringify(body) });
      setDone(mv);
      setFile(undefined);
      setFileKey((k) => k + 1);
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError(errorText(err));
      else setError('Upload cancelled: nothing was registered.');
    } finally {
      setPhase('idle');
      setAc(undefined);
    }
  };
  const pct = progress && progress.total ? Math.round((progress.sent / progress.total) * 100) : 0;
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a model version</h2>
      <div className="form-grid">
        {fixedModel ? null : <label className="field"><span>Model</span><input type="text" value={model} onChange={(e) => setModel(e.target.value.trim())} placeholder="digits" autoComplete="off" /></label>}
        <label className="field"><span>File (ONNX is inspected for its signature)</span><input key={fileKey} type="file" onChange={(e) => setFile(e.target.files?.[0])} /></label>
        <label className="field"><span>Version (optional: next patch)</span><input type="text" value={version} onChange={(e) => setVersion(e.target.value)} placeholder="1.2.0" autoComplete="off" /></label>
        <label className="field"><span>Metrics (optional)</span><input type="text" value={metrics} onChange={(e) => setMetrics(e.target.value)} placeholder="accuracy=0.97, loss=0.08" autoComplete="off" /></label>
        <label className="field"><span>Point an alias at it (optional)</span><input type="text" value={alias} onChange={(e) => setAlias(e.target.value.trim())} placeholder="staging" autoComplete="off" /></label>
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={phase !== 'idle'}>{phase === 'uploading' ? 'Uploading…' : phase === 'registering' ? 'Registering…' : 'Upload'}</button>
        {phase === 'uploading' ? <button type="button" onClick={() => ac?.abort()}>Cancel upload</button> : null}
      </div>
      {phase !== 'idle' && progress ? (
        <label className="field" style={{ marginTop: '.75rem' }}>
          <span className="small">{phase === 'uploading' ? `Uploading ${(progress.sent / 1024).toFixed(0)} of ${(progress.total / 1024).toFixed(0)} KiB (${pct}%)` : 'Checking the file and registering the version…'}</span>
          <progress max={100} value={phase === 'uploading' ? pct : undefined} />
        </label>
      ) : null}
      <div style={{ marginTop: '.75rem' }}><ErrorBox error={error} title="Not uploaded" /></div>
      {done ? (
        <div className="alert ok" role="status">
          Registered {mvKind ? <Link href={href(project, mvKind.plural, done.metadata.name)}>{done.metadata.name}</Link> : done.metadata.name}
          {(done.spec as { artifact?: { size?: number } } | undefined)?.artifact?.size !== undefined ? ` (${(done.spec as { artifact: { size: number } }).artifact.size} bytes)` : ''}.
        </div>
      ) : null}
    </form>
  );
}
