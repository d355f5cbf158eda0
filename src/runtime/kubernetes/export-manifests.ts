/**
 * `capstan export --target kubernetes`: the manifests the runtime would apply for a file of
 * Capstan objects (or KServe/Kubeflow/Kueue dialects, decoded by the kind registry), as
 * multi-document YAML to review or keep in Git. Pure apart from the registry's validation.
 */
import { stringify } from 'yaml';
import { ApiError } from '../../api/errors.js';
import type { KindRegistry } from '../../api/kind-registry.js';
import type { KubeObject } from '../../api/meta.js';
import { exportUid, isvcRevisionInput, priorityClassInput, projectInput, revisionOf, trainingJobInput } from './capstan-adapters.js';
import type { ManifestSet } from './inference-manifests.js';
import { inferenceRevisionManifests, registryTokenSecretManifest, registryTokenSecretName } from './inference-manifests.js';
import { registryModelOf } from './registry-token.js';
import type { InferenceServiceSpec } from '../../api/kinds/inference-service-schema.js';
import type { Manifest } from './managed-labels.js';
import { priorityClassManifests, projectManifests } from './tenancy-manifests.js';
import { trainingJobManifests } from './training-manifests.js';

/** Settings the file cannot say. */
export interface ExportOptions {
  image: string;
  registryUrl: string;
  /** Project for objects without metadata.namespace. */
  namespace: string;
  /** Adds an Ingress to every InferenceService. */
  ingress?: boolean;
}

/** The manifests of one decoded object, or an error naming what cannot be exported. */
export function manifestsFor(obj: KubeObject, opts: ExportOptions): Manifest[] {
  // Objects from a file have no uid yet: one derived from kind/namespace/name keeps selectors unique.
  const o: KubeObject = { ...obj, metadata: { ...obj.metadata, uid: obj.metadata.uid || exportUid(obj) } };
  let set: ManifestSet;
  switch (o.kind) {
    case 'InferenceService': {
      const model = registryModelOf((o.spec as InferenceServiceSpec).predictor);
      const secret = registryTokenSecretName(o.metadata.name);
      set = inferenceRevisionManifests(isvcRevisionInput(o, revisionOf(o.spec as InferenceServiceSpec), { image: opts.image, registryUrl: opts.registryUrl, registryTokenSecret: secret, ...(opts.ingress ? { ingress: {} } : {}) }));
      // Capstan issues the token when it applies the service; a printed file cannot hold one.
      if (model) {
        set.dependents.unshift(registryTokenSecretManifest(set.owner, secret, '', {
          'capstan.dev/token-scope': `get models/${model} and its versions in project ${o.metadata.namespace}`,
          'capstan.dev/note': 'Capstan fills token with a read-only token scoped to this model when it applies the service; set one yourself when applying this file with kubectl.',
        }));
      }
      break;
    }
    case 'TrainingJob':
      set = trainingJobManifests(trainingJobInput(o, { defaultImage: opts.image }));
      break;
    case 'WorkloadPriorityClass':
      set = priorityClassManifests(priorityClassInput(o));
      break;
    case 'Project':
      set = projectManifests(projectInput(o));
      break;
    default:
      throw new ApiError('BadRequest', `${o.kind} "${o.metadata.name}" has no Kubernetes form: export takes InferenceService, TrainingJob, WorkloadPriorityClass and Project`, { causes: [{ field: 'kind', message: `unsupported kind ${o.kind}` }] });
  }
  return [set.root, ...set.dependents];
}

/** Decodes raw documents and renders every manifest as multi-document YAML. */
export function exportManifests(docs: unknown[], kinds: KindRegistry, opts: ExportOptions): string {
  const out: Manifest[] = [];
  for (const raw of docs) {
    const r = raw as { metadata?: { namespace?: string } };
    const { kind, object } = kinds.decode(raw);
    if (kind.namespaced && !object.metadata.namespace) object.metadata.namespace = r.metadata?.namespace ?? opts.namespace;
    out.push(...manifestsFor(object, opts));
  }
  return out.map((m) => stringify(m, { lineWidth: 0 })).join('---\n');
}
