/**
 * The Kubernetes runtime: what the controllers call to run a Capstan object on one cluster.
 * It applies the pure generators' manifests with server-side apply, links dependents to their
 * root with owner references, observes state, deletes everything of a Capstan object, and
 * streams status changes. It never touches Capstan's store (controllers record what it reports).
 */
import type { ClusterSpec } from '../../api/kinds/cluster.js';
import { APPLIED_HASH_ANNOTATION, inferenceRevisionManifests, registryTokenSecretManifest, registryTokenSecretName, revisionDeploymentName, type IsvcRevisionInput, type ManifestSet } from './inference-manifests.js';
import { KubeApi, type KubeJson, type KubeWatchEvent } from './kube-api.js';
import { kubeConfigFor } from './kube-connection.js';
import { KubeError } from './kube-errors.js';
import { LABELS, labelValue, ownedSelector, withOwner, type CapstanOwner, type Manifest } from './managed-labels.js';
import { clusterAllocatable, kubeNodeReady, nodesMatching } from './node-mapping.js';
import { pipelineStepManifests, type PipelineStepInput } from './pipeline-manifests.js';
import { observeInference, observeTraining, type RevisionObservation, type TrainingObservation } from './status-mapping.js';
import { priorityClassManifests, projectManifests, type PriorityClassInput, type ProjectInput } from './tenancy-manifests.js';
import { trainingJobManifests, type TrainingJobInput } from './training-manifests.js';

/** A cluster's health, for the Cluster's status. */
export interface ClusterHealth {
  version: string;
  nodeCount: number;
  readyNodes: number;
  allocatable: Record<string, string>;
}

/** What an apply created or updated. */
export interface AppliedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

/** A change the runtime saw on the cluster, already tied to its Capstan owner. */
export interface RuntimeStatusEvent {
  type: KubeWatchEvent['type'];
  /** Deployment, Pod, Job or Node. */
  kind: string;
  object: KubeJson;
  /** The Capstan object it belongs to (absent for Nodes). */
  owner?: { kind: string; name: string; uid: string; namespace?: string };
}

/** The cluster object kinds each Capstan kind may leave behind (what cleanup lists). */
const OWNED_KINDS: Record<string, [string, string][]> = {
  InferenceService: [['autoscaling/v2', 'HorizontalPodAutoscaler'], ['networking.k8s.io/v1', 'Ingress'], ['apps/v1', 'Deployment'], ['v1', 'Service']],
  TrainingJob: [['v1', 'Pod'], ['v1', 'Service']],
  PipelineRun: [['batch/v1', 'Job']],
  WorkloadPriorityClass: [['scheduling.k8s.io/v1', 'PriorityClass']],
  Project: [['rbac.authorization.k8s.io/v1', 'RoleBinding'], ['rbac.authorization.k8s.io/v1', 'Role'], ['v1', 'ResourceQuota'], ['v1', 'Namespace']],
};

/** Drives one Kubernetes cluster. */
export class KubernetesRuntime {
  constructor(readonly clusterName: string, readonly api: KubeApi) {}

  /** A runtime for a Cluster object's spec (throws KubeError ConfigError naming the bad field). */
  static forCluster(name: string, spec: ClusterSpec, timeoutMs?: number): KubernetesRuntime {
    return new KubernetesRuntime(name, new KubeApi(kubeConfigFor(spec), timeoutMs));
  }

  /** Version, nodes and allocatable capacity (sum over ready nodes). */
  async probe(): Promise<ClusterHealth> {
    const version = await this.api.version();
    const nodes = await this.api.nodes();
    return { version, nodeCount: nodes.length, readyNodes: nodes.filter(kubeNodeReady).length, allocatable: clusterAllocatable(nodes) };
  }

  /**
   * Applies the root, then each dependent with an owner reference to it. With `atomic`, a
   * failure part-way deletes what was applied (a gang must not half-start and hold resources).
   */
  async applySet(set: ManifestSet, opts: { atomic?: boolean } = {}): Promise<AppliedObject[]> {
    const done: AppliedObject[] = [];
    try {
      const root = await this.api.apply(set.root);
      done.push(applied(root, set.root));
      const ref = root.metadata.uid && !set.adopted ? { apiVersion: set.root.apiVersion, kind: set.root.kind, name: set.root.metadata.name, uid: root.metadata.uid } : undefined;
      for (const m of set.dependents) {
        const r = await this.api.apply(ref ? withOwner(m, ref) : m);
        done.push(applied(r, m));
      }
      return done;
    } catch (err) {
      if (opts.atomic) await this.deleteOwned(set.owner.uid, set.owner.kind).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Runs (or updates) one InferenceService revision. Unless a token must be delivered, nothing
   * is written when the cluster already has exactly this revision (its Deployment carries the
   * hash of what was applied, and the Service is there): a steady reconcile only reads.
   */
  async applyInferenceRevision(input: IsvcRevisionInput): Promise<AppliedObject[]> {
    const set = inferenceRevisionManifests(input);
    if (input.registryToken === undefined) {
      const dep = set.dependents.find((m) => m.kind === 'Deployment')!;
      const want = (dep.metadata as { annotations?: Record<string, string> }).annotations?.[APPLIED_HASH_ANNOTATION];
      const sel = ownedSelector(input.uid);
      const cur = (await this.api.list('apps/v1', 'Deployment', sel, input.namespace)).find((d) => d.metadata.name === dep.metadata.name);
      if (cur && cur.metadata.annotations?.[APPLIED_HASH_ANNOTATION] === want && !cur.metadata.deletionTimestamp) {
        const svc = (await this.api.list('v1', 'Service', sel, input.namespace)).find((s) => s.metadata.name === set.root.metadata.name);
        if (svc && !svc.metadata.deletionTimestamp) return [];
      }
    }
    return this.applySet(set);
  }

  /** Starts a training job: every replica or none (atomic). */
  applyTrainingJob(input: TrainingJobInput): Promise<AppliedObject[]> {
    return this.applySet(trainingJobManifests(input), { atomic: true });
  }

  /** Runs a pipeline step as a Job. */
  applyPipelineStep(input: PipelineStepInput): Promise<AppliedObject[]> {
    return this.applySet(pipelineStepManifests(input));
  }

  /** Mirrors a WorkloadPriorityClass. */
  applyPriorityClass(input: PriorityClassInput): Promise<AppliedObject[]> {
    return this.applySet(priorityClassManifests(input));
  }

  /**
   * Mirrors a Project: Namespace, ResourceQuota, Roles and RoleBindings; a binding (or the quota)
   * the project no longer has is deleted. An adopted namespace itself is never written.
   */
  async applyProject(input: ProjectInput): Promise<AppliedObject[]> {
    const set = projectManifests(input);
    if (input.adopted && set.root.kind === 'Namespace') return [];
    const applied = await this.applySet(set);
    const want = new Set([set.root, ...set.dependents].map((m) => `${m.kind}/${m.metadata.name}`));
    for (const [apiVersion, kind] of [['rbac.authorization.k8s.io/v1', 'RoleBinding'], ['v1', 'ResourceQuota']] as const) {
      for (const o of await this.api.list(apiVersion, kind, ownedSelector(input.uid), input.name)) {
        if (!want.has(`${kind}/${o.metadata.name}`)) await this.api.delete(apiVersion, kind, o.metadata.name, input.name);
      }
    }
    return applied;
  }

  /** The namespace as the cluster has it: absent, Capstan's (labelled for a Project), or someone else's. */
  async namespaceOwnership(name: string): Promise<'absent' | 'capstan' | 'foreign'> {
    const ns = await this.api.tryRead('v1', 'Namespace', name);
    if (!ns) return 'absent';
    const l = ns.metadata.labels ?? {};
    return l[LABELS.managedBy] === 'capstan' && l[LABELS.kind] === 'Project' ? 'capstan' : 'foreign';
  }

  /**
   * Whether a service's registry-token Secret is on the cluster (someone may have deleted it).
   * Asked with a dry-run create: the runtime may create Secrets but never read them.
   */
  registryTokenSecretExists(owner: CapstanOwner, service: string): Promise<boolean> {
    return this.api.existsByDryRunCreate(registryTokenSecretManifest(owner, registryTokenSecretName(service), ''));
  }

  /** Sets a revision's replicas through the scale subresource (Capstan's own autoscaler). */
  scaleRevision(namespace: string, service: string, revision: string, replicas: number): Promise<void> {
    return this.api.scaleDeployment(namespace, revisionDeploymentName(service, revision), replicas);
  }

  /** Removes one retired revision (its Deployment and HPA). */
  async deleteRevision(namespace: string, service: string, revision: string): Promise<void> {
    const name = revisionDeploymentName(service, revision);
    await this.api.delete('autoscaling/v2', 'HorizontalPodAutoscaler', name, namespace);
    await this.api.delete('apps/v1', 'Deployment', name, namespace);
  }

  /**
   * Deletes every cluster object of a Capstan object (found by its uid label) and returns how
   * many are still there (e.g. terminating); the finalizer goes only when this reaches 0.
   */
  async deleteOwned(uid: string, capstanKind?: string): Promise<number> {
    const kinds = capstanKind && OWNED_KINDS[capstanKind] ? OWNED_KINDS[capstanKind] : [...new Map(Object.values(OWNED_KINDS).flat().map((k) => [k.join('/'), k])).values()];
    const selector = ownedSelector(uid);
    let remaining = 0;
    for (const [apiVersion, kind] of kinds) {
      const items = await this.api.list(apiVersion, kind, selector);
      for (const o of items) {
        remaining++;
        // The registry-token Secret is deleted by name: the runtime never lists or reads Secrets.
        if (kind === 'Service' && o.metadata.labels?.[LABELS.kind] === 'InferenceService') await this.api.delete('v1', 'Secret', registryTokenSecretName(o.metadata.name), o.metadata.namespace);
        if (!o.metadata.deletionTimestamp) await this.api.delete(apiVersion, kind, o.metadata.name, o.metadata.namespace);
      }
    }
    if (remaining === 0) return 0;
    // Count again: most objects go at once; what stays is terminating and worth waiting for.
    let still = 0;
    for (const [apiVersion, kind] of kinds) still += (await this.api.list(apiVersion, kind, selector)).length;
    return still;
  }

  /** Ready/desired replicas and failures per revision of an InferenceService. */
  async observeInference(namespace: string, uid: string): Promise<RevisionObservation[]> {
    const sel = ownedSelector(uid);
    const [deployments, pods] = await Promise.all([this.api.list('apps/v1', 'Deployment', sel, namespace), this.api.pods(namespace, sel)]);
    return observeInference(deployments, pods);
  }

  /** Per-role counts, phase and failure of a training job. */
  async observeTraining(namespace: string, uid: string, expectedPods: number): Promise<TrainingObservation & { podCount: number }> {
    const pods = await this.api.pods(namespace, ownedSelector(uid));
    return { ...observeTraining(pods, expectedPods), podCount: pods.length };
  }

  /** Ready nodes matching a flavor's node labels; an error says so when there are none. */
  async requireNodesFor(nodeSelector: Record<string, string> | undefined): Promise<number> {
    if (!nodeSelector || Object.keys(nodeSelector).length === 0) return -1;
    const n = nodesMatching(await this.api.nodes(), nodeSelector).length;
    if (n === 0) {
      const want = Object.entries(nodeSelector).map(([k, v]) => `${k}=${v}`).join(', ');
      throw new KubeError({ reason: 'NoMatchingNodes', message: `no ready node of cluster "${this.clusterName}" has the labels ${want}`, retryable: true });
    }
    return n;
  }

  /** The cluster's nodes as plain JSON. */
  nodes(): Promise<KubeJson[]> {
    return this.api.nodes();
  }

  /** Streams Deployment/Pod/Job changes of Capstan's objects, and Node changes, until `signal` aborts. */
  watchStatus(cb: (e: RuntimeStatusEvent) => void, signal: AbortSignal, onError: (err: unknown) => void = () => undefined, onReconnected: () => void = () => undefined): void {
    const managed = `${LABELS.managedBy}=capstan`;
    const emit = (kind: string) => (e: KubeWatchEvent) => cb({ type: e.type, kind, object: e.object, ...(kind === 'Node' ? {} : { owner: ownerOf(e.object) }) });
    this.api.watch('/apis/apps/v1/deployments', managed, emit('Deployment'), onError, signal, onReconnected);
    this.api.watch('/api/v1/pods', managed, emit('Pod'), onError, signal, onReconnected);
    this.api.watch('/apis/batch/v1/jobs', managed, emit('Job'), onError, signal, onReconnected);
    this.api.watch('/api/v1/nodes', '', emit('Node'), onError, signal, onReconnected);
  }
}

function ownerOf(o: KubeJson): RuntimeStatusEvent['owner'] {
  const l = o.metadata.labels ?? {};
  if (!l[LABELS.uid]) return undefined;
  return { kind: l[LABELS.kind] ?? '', name: l[LABELS.name] ?? '', uid: l[LABELS.uid], ...(l[LABELS.namespace] ? { namespace: l[LABELS.namespace] } : {}) };
}

function applied(r: KubeJson, m: Manifest): AppliedObject {
  return { apiVersion: m.apiVersion, kind: m.kind, name: m.metadata.name, ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}), ...(r.metadata.uid ? { uid: r.metadata.uid } : {}) };
}

/** The label value a uid becomes (exported for tests and adapters). */
export const uidLabel = labelValue;
