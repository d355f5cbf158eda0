/**
 * The training launch form (like seed 003's): name, framework, roles with replicas, command, resource choices and
 * the queue from the project's LocalQueues. Produces a TrainingJob (shown as YAML on request), creates it with
 * POST, and puts the server's field errors next to the fields they name.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { apiJson, ApiError, errorText, type KubeObject } from '../api/client.js';
import { collectionPath } from '../api/discovery.js';
import { toYaml } from '../api/yaml-text.js';
import { useApp } from '../state/app-context.js';
import { Priority, useCollection } from '../state/collections.js';
import { href, navigate } from '../state/router.js';
import { ErrorBox } from '../ui/common.js';
import { CPU_CHOICES, draftManifest, draftProblems, fieldFor, FRAMEWORK_ROLES, GPU_CHOICES, MEMORY_CHOICES, newRole, type JobDraft, type RoleDraft } from './training-job-draft.js';

const EXAMPLE = ['node', '-e', "for (let s = 1; s <= 20; s++) setTimeout(() => { console.log('step', s); console.log('CAPSTAN_METRIC ' + JSON.stringify({ step: s, loss: 1 / s, accuracy: 1 - 1 / (s + 1) })); }, s * 300)"].join('\n');

function FieldError({ id, error }: { id: string; error?: string }) {
  return error ? <span className="field-error" id={id}>{error}</span> : null;
}

/** The form. `onYaml` switches the page to the YAML editor with the form's manifest. */
export function TrainingForm({ project, onYaml }: { project: string; onYaml(text: string): void }) {
  const app = useApp();
  const jobKind = app.kindByKind('TrainingJob')!;
  const lqKind = app.kindByKind('LocalQueue');
  const queues = useCollection(lqKind ? collectionPath(lqKind, project) : undefined, Priority.related);
  const queueNames = queues.items.map((q: KubeObject) => q.metadata.name);
  const [d, setD] = useState<JobDraft>({ name: '', framework: 'generic', queueName: 'default', roles: [{ ...newRole('Worker'), command: EXAMPLE }], outputModel: '' });
  const [showYaml, setShowYaml] = useState(false);
  const [touched, setTouched] = useState(false);
  const [server, setServer] = useState<{ byField: Record<string, string>; message?: string }>({ byField: {} });
  const [busy, setBusy] = useState(false);
  const manifest = useMemo(() => draftManifest(d, project), [d, project]);
  const local = touched ? draftProblems(d) : {};
  const err = (k: string) => server.byField[k] ?? local[k];
  const set = (patch: Partial<JobDraft>) => { setD((x) => ({ ...x, ...patch })); setServer({ byField: {} }); };
  const setRole = (i: number, patch: Partial<RoleDraft>) => set({ roles: d.roles.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const roleChoices = FRAMEWORK_ROLES[d.framework];
  const unusedRole = roleChoices.find((r) => !d.roles.some((x) => x.role === r));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(draftProblems(d)).length) return;
    setBusy(true);
    try {
      const created = await apiJson<KubeObject>(collectionPath(jobKind, project), { method: 'POST', body: JSON.stringify(manifest) });
      navigate(href(project, jobKind.plural, created.metadata.name));
    } catch (error) {
      const known = ['metadata.name', 'spec.framework', 'spec.queueName', 'spec.output.model', 'spec.replicaSpecs', ...d.roles.flatMap((r) => {
        const b = `spec.replicaSpecs.${r.role}`;
        return [b, `${b}.replicas`, `${b}.template.command`, `${b}.template.resources.cpu`, `${b}.template.resources.memory`, `${b}.template.resources.gpu`];
      })];
      const byField: Record<string, string> = {};
      const rest: string[] = [];
      for (const c of error instanceof ApiError ? error.causes : []) {
        const k = fieldFor(c, known);
        if (k) byField[k] = byField[k] ? `${byField[k]}; ${c.message ?? ''}` : c.message ?? 'not accepted';
        else rest.push(`${c.field ? `${c.field}: ` : ''}${c.message ?? ''}`);
      }
      setServer({ byField, message: [errorText(error), ...rest].join(' · ') });
    } finally {
      setBusy(false);
    }
  };
  const input = (k: string) => ({ 'aria-invalid': err(k) ? true : undefined, 'aria-describedby': err(k) ? `err-${k}` : undefined });

  return (
    <form onSubmit={submit} noValidate aria-labelledby="new-title">
      <ErrorBox error={server.message} title="Not created" />
      <div className="panel">
        <h2>Job</h2>
        <div className="form-grid">
          <label className="field"><span>Name</span>
            <input type="text" value={d.name} onChange={(e) => set({ name: e.target.value.trim() })} placeholder="train-digits" autoComplete="off" {...input('metadata.name')} />
            <FieldError id="err-metadata.name" error={err('metadata.name')} />
          </label>
          <label className="field"><span>Framework</span>
            <select value={d.framework} {...input('spec.framework')} onChange={(e) => {
              const framework = e.target.value as JobDraft['framework'];
              const allowed = FRAMEWORK_ROLES[framework];
              set({ framework, roles: d.roles.map((r, i) => (framework === 'generic' || allowed.includes(r.role) ? r : { ...r, role: allowed[i] ?? allowed[0]! })) });
            }}>
              <option value="generic">Generic (any program)</option>
              <option value="pytorch">PyTorch (Master, Worker)</option>
              <option value="tensorflow">TensorFlow (Chief, Worker, PS)</option>
            </select>
            <FieldError id="err-spec.framework" error={err('spec.framework')} />
          </label>
          <label className="field"><span>Queue</span>
            <select value={d.queueName} onChange={(e) => set({ queueName: e.target.value })} {...input('spec.queueName')}>
              {[...new Set(['default', ...queueNames])].map((q) => <option key={q} value={q}>{q}{queues.loaded && !queueNames.includes(q) ? ' (not created yet)' : ''}</option>)}
            </select>
            <FieldError id="err-spec.queueName" error={err('spec.queueName')} />
          </label>
          <label className="field"><span>Register output as model (optional)</span>
            <input type="text" value={d.outputModel} onChange={(e) => set({ outputModel: e.target.value.trim() })} placeholder="digits" autoComplete="off" {...input('spec.output.model')} />
            <FieldError id="err-spec.output.model" error={err('spec.output.model')} />
          </label>
        </div>
      </div>
      {d.roles.map((r, i) => {
        const b = `spec.replicaSpecs.${r.role}`;
        return (
          <fieldset className="role panel" key={i}>
            <legend>Role {r.role}</legend>
            <FieldError id={`err-${b}`} error={err(b)} />
            <div className="form-grid">
              <label className="field"><span>Role</span>
                {d.framework === 'generic' ? (
                  <input type="text" value={r.role} onChange={(e) => setRole(i, { role: e.target.value.trim() })} {...input(b)} />
                ) : (
                  <select value={r.role} onChange={(e) => setRole(i, { role: e.target.value })} {...input(b)}>{roleChoices.map((x) => <option key={x} value={x}>{x}</option>)}</select>
                )}
              </label>
              <label className="field"><span>Replicas</span>
                <input type="number" min={1} max={512} value={r.replicas} onChange={(e) => setRole(i, { replicas: Number(e.target.value) })} {...input(`${b}.replicas`)} />
                <FieldError id={`err-${b}.replicas`} error={err(`${b}.replicas`)} />
              </label>
              <label className="field"><span>CPU per replica</span>
                <select value={r.cpu} onChange={(e) => setRole(i, { cpu: e.target.value })} {...input(`${b}.template.resources.cpu`)}>{CPU_CHOICES.map((c) => <option key={c} value={c}>{c === '500m' ? 'half a core (500m)' : `${c} core${c === '1' ? '' : 's'}`}</option>)}</select>
                <FieldError id={`err-${b}.template.resources.cpu`} error={err(`${b}.template.resources.cpu`)} />
              </label>
              <label className="field"><span>Memory per replica</span>
                <select value={r.memory} onChange={(e) => setRole(i, { memory: e.target.value })} {...input(`${b}.template.resources.memory`)}>{MEMORY_CHOICES.map((m) => <option key={m} value={m}>{m}</option>)}</select>
                <FieldError id={`err-${b}.template.resources.memory`} error={err(`${b}.template.resources.memory`)} />
              </label>
              <label className="field"><span>GPUs per replica</span>
                <select value={r.gpu} onChange={(e) => setRole(i, { gpu: Number(e.target.value) })} {...input(`${b}.template.resources.gpu`)}>{GPU_CHOICES.map((g) => <option key={g} value={g}>{g === 0 ? 'none' : g}</option>)}</select>
                <FieldError id={`err-${b}.template.resources.gpu`} error={err(`${b}.template.resources.gpu`)} />
              </label>
            </div>
            <label className="field"><span>Command and arguments (one per line)</span>
              <textarea className="plain" rows={4} value={r.command} onChange={(e) => setRole(i, { command: e.target.value })} spellCheck={false} {...input(`${b}.template.command`)} />
              <FieldError id={`err-${b}.template.command`} error={err(`${b}.template.command`)} />
            </label>
            {d.roles.length > 1 ? <button type="button" onClick={() => set({ roles: d.roles.filter((_, j) => j !== i) })}>Remove role {r.role}</button> : null}
          </fieldset>
        );
      })}
      <FieldError id="err-spec.replicaSpecs" error={err('spec.replicaSpecs')} />
      <div className="row" style={{ marginBottom: '.75rem' }}>
        {unusedRole || d.framework === 'generic' ? <button type="button" onClick={() => set({ roles: [...d.roles, newRole(unusedRole ?? `Role${d.roles.length + 1}`)] })}>Add a role</button> : null}
        <button type="button" aria-pressed={showYaml} aria-controls="job-yaml" onClick={() => setShowYaml(!showYaml)}>{showYaml ? 'Hide YAML' : 'Show YAML'}</button>
        <button type="button" onClick={() => onYaml(toYaml(manifest))}>Edit as YAML</button>
      </div>
      {showYaml ? <pre id="job-yaml" className="code" aria-label="TrainingJob as YAML" tabIndex={0} style={{ marginBottom: '.75rem' }}>{toYaml(manifest)}</pre> : null}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Starting…' : 'Start training'}</button>
        <button type="button" onClick={() => history.back()}>Cancel</button>
      </div>
    </form>
  );
}
