/**
 * Reconciles Cluster objects: probes a kubernetes cluster's API (version, nodes, allocatable)
 * into status with the cluster's own message on failure, retries with backoff, mirrors its
 * nodes as Capstan Node objects, and starts one status watch per reachable cluster.
 */
import { setCondition } from '../../api/conditions.js';
import { ApiError } from '../../api/errors.js';
import { ClusterKind, LOCAL_CLUSTER_NAME, type ClusterSpec, type ClusterStatus } from '../../api/kinds/cluster.js';
import type { Kind } from '../../api/kind.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Reconciler, ReconcileResult } from '../../controllers/runtime/controller.js';
import type { EventRecorder } from '../../controllers/runtime/event-recorder.js';
import { backoffDelayMs, classifyError } from './kube-errors.js';
import type { RuntimeStatusEvent } from './kubernetes-runtime.js';
import { capstanNodeFrom } from './node-mapping.js';
import type { RuntimeRegistry } from './runtime-registry.js';

/** Makes sure the `local` Cluster exists (idempotent; safe when several servers race). */
export async function ensureLocalCluster(client: ResourceClient): Promise<void> {
  if (await client.tryGet(ClusterKind, undefined, LOCAL_CLUSTER_NAME)) return;
  try {
    await client.create(ClusterKind, { apiVersion: ClusterKind.apiVersion, kind: 'Cluster', metadata: { name: LOCAL_CLUSTER_NAME }, spec: { type: 'local' } });
  } catch (err) {
    if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
  }
}

/** The Cluster reconciler. */
export class ClusterController implements Reconciler {
  readonly name = 'kubernetes-cluster';
  private readonly attempts = new Map<string, number>();
  private readonly watching = new Map<string, AbortController>();

  constructor(
    private readonly client: ResourceClient,
    private readonly runtimes: RuntimeRegistry,
    private readonly recorder: EventRecorder,
    private readonly onStatusEvent: (cluster: string, e: RuntimeStatusEvent) => void,
    private readonly nodeKind: Kind | undefined,
    private readonly now: () => Date = () => new Date(),
    /** ResourceFlavors: the node label keys they select on are mirrored too. */
    private readonly flavorKind?: Kind,
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const obj = await this.client.tryGet(ClusterKind, undefined, key);
    if (!obj || obj.metadata.deletionTimestamp) {
      this.watching.get(key)?.abort();
      this.watching.delete(key);
      this.runtimes.forget(key);
      return;
    }
    const spec = obj.spec as ClusterSpec;
    const prev = (obj.status ?? {}) as ClusterStatus;
    const ts = this.now().toISOString();
    let status: ClusterStatus;
    let requeue: number | undefined;
    if (spec.type === 'local') {
      status = { ...prev, reachable: true, observedGeneration: obj.metadata.generation, conditions: setCondition(prev.conditions, { type: 'Ready', status: 'True', reason: 'Local', message: 'this machine runs workloads with the local runtime' }, ts) };
    } else {
      try {
        const rt = this.runtimes.forObject(obj);
        const health = await rt.probe();
        this.attempts.delete(key);
        await this.syncNodes(key, await rt.nodes(), ts);
        if (!this.watching.has(key)) {
          const ac = new AbortController();
          this.watching.set(key, ac);
          rt.watchStatus((e) => this.onStatusEvent(key, e), ac.signal);
        }
        status = {
          reachable: true, version: health.version, nodeCount: health.nodeCount, allocatable: health.allocatable, lastProbeTime: ts, observedGeneration: obj.metadata.generation,
          conditions: setCondition(prev.conditions, { type: 'Ready', status: 'True', reason: 'Reachable', message: `API server ${health.version}, ${health.readyNodes} of ${health.nodeCount} nodes ready` }, ts),
        };
        requeue = spec.probeIntervalSeconds * 1000;
      } catch (err) {
        const f = classifyError(err);
        const n = this.attempts.get(key) ?? 0;
        this.attempts.set(key, n + 1);
        status = { ...prev, reachable: false, lastProbeTime: ts, observedGeneration: obj.metadata.generation, conditions: setCondition(prev.conditions, { type: 'Ready', status: 'False', reason: f.reason, message: f.message }, ts) };
        if (prev.conditions?.find((c) => c.type === 'Ready')?.message !== f.message) await this.recorder.event(obj, 'Warning', f.reason, f.message);
        requeue = f.retryable ? backoffDelayMs(n) : undefined;
      }
    }
    if (JSON.stringify({ ...status, lastProbeTime: undefined }) !== JSON.stringify({ ...prev, lastProbeTime: undefined })) await this.client.updateStatus(ClusterKind, { ...obj, status });
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** Mirrors the cluster's nodes as Capstan Nodes named `<cluster>.<node>`; removes vanished ones. */
  private async syncNodes(cluster: string, nodes: import('./kube-api.js').KubeJson[], ts: string): Promise<void> {
    const kind = this.nodeKind;
    if (!kind) return;
    const selected = new Set<string>();
    if (this.flavorKind) for (const f of (await this.client.list(this.flavorKind)).items) for (const k of Object.keys((f.spec as { nodeLabels?: Record<string, string> } | undefined)?.nodeLabels ?? {})) selected.add(k);
    const want = new Map(nodes.map((n) => { const b = capstanNodeFrom(cluster, n, ts, selected); return [b.metadata.name, b]; }));
    for (const b of want.values()) {
      const cur = await this.client.tryGet(kind, undefined, b.metadata.name);
      const base = { apiVersion: kind.apiVersion, kind: kind.kind, metadata: { ...(cur?.metadata ?? {}), name: b.metadata.name, labels: b.metadata.labels }, spec: b.spec };
      const saved = cur ? await this.client.update(kind, { ...base, status: cur.status }) : await this.client.create(kind, base);
      const oldStatus = { ...(cur?.status as Record<string, unknown> | undefined), lastHeartbeatTime: undefined, conditions: undefined };
      if (!cur || JSON.stringify(oldStatus) !== JSON.stringify({ ...b.status, lastHeartbeatTime: undefined, conditions: undefined })) await this.client.updateStatus(kind, { ...saved, status: b.status });
    }
    for (const n of (await this.client.list(kind, { labelSelector: `capstan.dev/cluster=${cluster.slice(0, 63)}` })).items) {
      if (!want.has(n.metadata.name)) await this.client.delete(kind, undefined, n.metadata.name).catch(() => undefined);
    }
  }

  /** Stops every status watch. */
  stop(): void {
    for (const ac of this.watching.values()) ac.abort();
    this.watching.clear();
  }
}
