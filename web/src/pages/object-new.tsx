/** Create any object from YAML (server-side apply), starting from a template for the kind. */
import { useState } from 'react';
import { kindTitle, type KindInfo } from '../api/discovery.js';
import type { LineProblem } from '../api/yaml-text.js';
import { useApp } from '../state/app-context.js';
import { href, navigate } from '../state/router.js';
import { ErrorBox } from '../ui/common.js';
import { YamlEditor } from '../ui/yaml-editor.js';
import { applyYaml } from './apply-yaml.js';
import { genericTemplate, viewOf } from './kind-views.js';

/** The "new object" page. */
export function ObjectNew({ kind }: { kind: KindInfo }) {
  const app = useApp();
  const view = viewOf(kind.kind);
  const [text, setText] = useState(() => view.template?.(app.project) ?? genericTemplate(kind.kind, kind.namespaced, app.project));
  const [problems, setProblems] = useState<LineProblem[]>([]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [mode, setMode] = useState<'form' | 'yaml'>(view.NewForm ? 'form' : 'yaml');
  const create = async () => {
    setBusy(true);
    const r = await applyYaml(text, app.project, app.kindByKind);
    setBusy(false);
    if (r.ok) {
      const ns = r.object.metadata.namespace;
      // A new project becomes the current one: that is nearly always what comes next.
      const project = r.kind.kind === 'Project' ? r.object.metadata.name : ns ?? app.project;
      navigate(r.kind.kind === 'Project' ? href(project) : href(project, r.kind.plural, r.object.metadata.name));
    } else {
      setProblems(r.problems);
      setError(r.message);
    }
  };
  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">New {kindTitle(kind.kind, false).toLowerCase()}</h1>
      {view.NewForm ? (
        <div className="tabs" role="tablist" aria-label="How to describe it">
          <button type="button" role="tab" aria-selected={mode === 'form'} onClick={() => setMode('form')}>Form</button>
          <button type="button" role="tab" aria-selected={mode === 'yaml'} onClick={() => setMode('yaml')}>YAML</button>
        </div>
      ) : null}
      {view.NewForm && mode === 'form' ? <view.NewForm project={app.project} onYaml={(t) => { setText(t); setMode('yaml'); }} /> : <>
      <p className="muted">Write the object as YAML (Capstan's own kinds, or a supported KServe, Kubeflow or Kueue dialect) and apply it. The server checks every field and points at the lines it cannot accept.</p>
      <ErrorBox error={error} title="Not created" />
      <YamlEditor value={text} onChange={(v) => { setText(v); setProblems([]); }} problems={problems} label={`${kind.kind} YAML`} />
      <div className="row" style={{ marginTop: '.75rem' }}>
        <button type="button" className="primary" onClick={create} disabled={busy}>{busy ? 'Applying…' : 'Create'}</button>
        <button type="button" onClick={() => history.back()}>Cancel</button>
      </div>
      </>}
    </section>
  );
}
