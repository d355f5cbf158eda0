/**
 * The canary slider: sets the canary's share of traffic with a merge patch (spec.canary.trafficPercent, or KServe's
 * spec.predictor.canaryTrafficPercent), and promote / roll back with the same spec patches as `capstan rollout`.
 */
import { useEffect, useState } from 'react';
import { apiFetch, errorText, type KubeObject } from '../api/client.js';
import { objectPath } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { ErrorBox } from '../ui/common.js';
import { canaryShare, promotePatch, rollbackPatch, sharePatch } from './isvc-paths.js';

/** The canary panel (shown only when the service has a canary or a previous revision to roll back to). */
export function CanaryPanel({ object }: { object: KubeObject }) {
  const app = useApp();
  const kind = app.kindByKind('InferenceService')!;
  const spec = (object.spec ?? {}) as Parameters<typeof canaryShare>[0];
  const status = (object.status ?? {}) as Parameters<typeof rollbackPatch>[1];
  const share = canaryShare(spec);
  const [value, setValue] = useState(share?.percent ?? 0);
  const [msg, setMsg] = useState<{ ok?: string; error?: string }>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => setValue(share?.percent ?? 0), [share?.percent]);
  // after a rollback that removed the canary the panel stays to say so
  if (!share && !status.previousRevision && !msg.ok && !msg.error) return null;
  const patch = async (body: Record<string, unknown>, done: string) => {
    setBusy(true);
    setMsg({});
    try {
      await apiFetch(objectPath(kind, object.metadata.namespace ?? app.project, object.metadata.name), { method: 'PATCH', body: JSON.stringify(body), contentType: 'application/merge-patch+json' });
      setMsg({ ok: done });
    } catch (err) {
      setMsg({ error: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const run = (what: 'promote' | 'rollback') => {
    let body: Record<string, unknown>;
    try {
      body = what === 'promote' ? promotePatch(spec) : rollbackPatch(spec, status);
    } catch (err) {
      setMsg({ error: (err as Error).message });
      return;
    }
    const sure = what === 'promote' ? 'Send all traffic to the canary?' : 'Roll back to the previous model?';
    if (!confirm(sure)) return;
    void patch(body, what === 'promote' ? 'Promoted: the canary becomes the predictor.' : 'Rolled back.');
  };
  return (
    <section className="panel" aria-labelledby="canary-title">
      <h2 id="canary-title">Canary</h2>
      {share ? (
        <form className="row" onSubmit={(e) => { e.preventDefault(); void patch(sharePatch(share.field, value), `The canary now gets ${value}% of the traffic.`); }}>
          <label className="field" style={{ flex: 1, minWidth: '14rem' }}>
            <span>Canary traffic: {value}%</span>
            <input type="range" min={0} max={100} step={5} value={value} onChange={(e) => setValue(Number(e.target.value))} aria-valuetext={`${value} percent to the canary`} />
          </label>
          <button type="submit" className="primary" disabled={busy || value === share.percent}>Set {value}%</button>
        </form>
      ) : <p className="muted small">No canary: change the model (or add spec.canary) to start one.</p>}
      <div className="row">
        {share ? <button type="button" onClick={() => run('promote')} disabled={busy}>Promote canary</button> : null}
        <button type="button" className="danger" onClick={() => run('rollback')} disabled={busy}>Roll back</button>
        <span className="muted small">Same changes as <code>capstan rollout promote|rollback</code>.</span>
      </div>
      {msg.ok ? <div className="alert ok" role="status" style={{ marginTop: '.75rem' }}>{msg.ok}</div> : null}
      <div style={{ marginTop: '.75rem' }}><ErrorBox error={msg.error} title="Not changed" /></div>
    </section>
  );
}
