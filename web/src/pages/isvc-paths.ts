/** URLs and spec patches of an InferenceService the dashboard's panels use (pure). */
import type { KubeObject } from '../api/client.js';

/** A tensor of a model signature. */
export interface Tensor { name: string; datatype: string; shape: number[] }

/** The gateway's route name for a service (the project is appended outside "default"). */
export function routeName(o: KubeObject): string {
  const fromStatus = (o.status as { routeName?: string } | undefined)?.routeName;
  if (fromStatus) return fromStatus;
  const ns = o.metadata.namespace ?? 'default';
  return ns === 'default' ? o.metadata.name : `${o.metadata.name}.${ns}`;
}

/** The API path of a service's sub-resource (proxy, metrics, log). */
export function isvcPath(o: KubeObject, sub: string): string {
  return `/apis/capstan.dev/v1alpha1/namespaces/${encodeURIComponent(o.metadata.namespace ?? 'default')}/inferenceservices/${encodeURIComponent(o.metadata.name)}/${sub}`;
}

/** An OIP v2 request with zeros in every input, shaped by the signature (-1 dims become 1). */
export function oipRequestFor(inputs: Tensor[]): string {
  const body = {
    inputs: inputs.map((t) => {
      const shape = t.shape.map((d) => (d < 0 ? 1 : d));
      const n = shape.reduce((a, b) => a * b, 1);
      return { name: t.name, datatype: t.datatype, shape, data: Array.from({ length: Math.min(n, 4096) }, () => (t.datatype === 'BOOL' ? false : 0)) };
    }),
  };
  return JSON.stringify(body, null, 2);
}

interface CanarySpec { model?: string; storageUri?: string; trafficPercent: number }
interface PredictorSpec { model?: string; storageUri?: string; canaryTrafficPercent?: number }
interface PrevRevision { name?: string; model?: { ref?: string; version?: string; storageUri?: string } }

/** The canary's share, and which field holds it; undefined when there is no canary. */
export function canaryShare(spec: { predictor?: PredictorSpec; canary?: CanarySpec }): { percent: number; field: 'canary' | 'predictor' } | undefined {
  if (spec.canary) return { percent: spec.canary.trafficPercent, field: 'canary' };
  if (spec.predictor?.canaryTrafficPercent !== undefined) return { percent: spec.predictor.canaryTrafficPercent, field: 'predictor' };
  return undefined;
}

/** The merge patch that sets the canary's share. */
export function sharePatch(field: 'canary' | 'predictor', percent: number): Record<string, unknown> {
  return field === 'canary' ? { spec: { canary: { trafficPercent: percent } } } : { spec: { predictor: { canaryTrafficPercent: percent } } };
}

/** The patch `capstan rollout promote` sends: the canary becomes the predictor (same rules as the CLI). */
export function promotePatch(spec: { predictor?: PredictorSpec; canary?: CanarySpec }): Record<string, unknown> {
  if (spec.canary) return { spec: { predictor: { model: spec.canary.model ?? null, storageUri: spec.canary.storageUri ?? null }, canary: null } };
  if (spec.predictor?.canaryTrafficPercent !== undefined) return { spec: { predictor: { canaryTrafficPercent: null } } };
  throw new Error('nothing to promote: the service has no canary');
}

/** The patch `capstan rollout rollback` sends: drop the canary, or return to the previous revision's model. */
export function rollbackPatch(spec: { predictor?: PredictorSpec; canary?: CanarySpec }, status: { latestRevision?: string; stableRevision?: string; previousRevision?: PrevRevision }): Record<string, unknown> {
  if (spec.canary) return { spec: { canary: null } };
  if (spec.predictor?.canaryTrafficPercent !== undefined && status.latestRevision !== status.stableRevision) return { spec: { predictor: { canaryTrafficPercent: 0 } } };
  const prev = status.previousRevision?.model;
  if (!prev) throw new Error('nothing to roll back to: no previous revision is recorded');
  if (prev.storageUri) return { spec: { predictor: { storageUri: prev.storageUri, model: null } } };
  const model = prev.ref?.split('@')[0];
  if (model && prev.version) return { spec: { predictor: { model: `${model}@${prev.version}`, storageUri: null } } };
  throw new Error(`the previous revision ${status.previousRevision?.name ?? ''} has no model reference to return to`);
}
