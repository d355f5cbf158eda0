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

/** Timing and hooks of the Cluster controller. */
export interface ClusterControllerOptions {
  /** Retry backoff of an unreachable cluster (default 1 s doubling, capped at 5 min; 30 s while objects wait on it). */
  retry?: { baseMs: number; maxMs: number };
  /** Whether objects wait on the cluster (placed there): then retries are capped at 30 s. */
  waiting?: (cluster: string) => boolean;
  /** Probes a cluster again now (a watch failed or reconnected). */
  requeue?: (cluster: string) => void;
}

/** While objects wait on an unreachable cluster, it is asked again at least this often. */
export const WAITING_RETRY_CAP_MS = 30_000;

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
    private readonly opts: ClusterControllerOptions = {},
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const obj = await this.client.tryGet(ClusterKind, undefined, key);
    if (!obj || obj.metadata.deletionTimestamp) {
      this.watching.get(key)?.abort();
      this.watching.delete(key);
      this.runtimes.forget(key);
      // A deleted cluster's capacity is gone: its Nodes go, so nothing new is admitted onto it.
      await this.removeNodes(key);
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
          // A broken watch means the cluster may be gone, a reconnected one that it is back: probe now, not at the next backoff.
          rt.watchStatus((e) => this.onStatusEvent(key, e), ac.signal, () => this.opts.requeue?.(key), () => this.opts.requeue?.(key));
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
        // Nobody can say how the nodes are while their API server is away: Unknown, as a node
        // controller marks nodes whose kubelet stops reporting. The scheduler core admits nothing there.
        await this.markNodesUnknown(key, `cluster ${key} is unreachable (${f.reason}): ${f.message}`, ts);
        if (prev.conditions?.find((c) => c.type === 'Ready')?.message !== f.message) await this.recorder.event(obj, 'Warning', f.reason, f.message);
        const base = this.opts.retry?.baseMs ?? 1000;
        const cap = Math.min(this.opts.retry?.maxMs ?? 5 * 60_000, this.opts.waiting?.(key) ? WAITING_RETRY_CAP_MS : Infinity);
        requeue = f.retryable ? backoffDelayMs(n, base, cap) : undefined;
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
      // Written only when something changed: a steady cluster costs no writes per probe.
      const same = cur && JSON.stringify(cur.metadata.labels ?? {}) === JSON.stringify(b.metadata.labels) && JSON.stringify(cur.spec ?? {}) === JSON.stringify(b.spec);
      const saved = same ? cur : cur ? await this.client.update(kind, { ...base, status: cur.status }) : await this.client.create(kind, base);
      if (!cur || statusChanged(cur.status, b.status)) await this.client.updateStatus(kind, { ...saved, status: b.status });
    }
    for (const n of (await this.client.list(kind, { labelSelector: `capstan.dev/cluster=${cluster.slice(0, 63)}` })).items) {
      if (!want.has(n.metadata.name)) await this.client.delete(kind, undefined, n.metadata.name).catch(() => undefined);
    }
  }

  private async nodesOf(cluster: string) {
    return this.nodeKind ? (await this.client.list(this.nodeKind, { labelSelector: `capstan.dev/cluster=${cluster.slice(0, 63)}` })).items : [];
  }

  private async removeNodes(cluster: string): Promise<void> {
    for (const n of await this.nodesOf(cluster)) await this.client.delete(this.nodeKind!, undefined, n.metadata.name).catch(() => undefined);
  }

  private async markNodesUnknown(cluster: string, message: string, ts: string): Promise<void> {
    for (const n of await this.nodesOf(cluster)) {
      const st = (n.status ?? {}) as { conditions?: { type: string; status: string; reason?: string }[] };
      if (st.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown') continue;
      await this.client.updateStatus(this.nodeKind!, { ...n, status: { ...st, conditions: setCondition(st.conditions as never, { type: 'Ready', status: 'Unknown', reason: 'ClusterUnreachable', message }, ts) } }).catch(() => undefined);
    }
  }

  /** Stops every status watch. */
  stop(): void {
    for (const ac of this.watching.values()) ac.abort();
    this.watching.clear();
  }
}

// Heartbeats and transition times change every probe; what matters is capacity and the Ready verdict.
function statusChanged(prev: unknown, next: Record<string, unknown>): boolean {
  const strip = (s: unknown) => {
    const o = (s ?? {}) as Record<string, unknown> & { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
    return JSON.stringify({ ...o, lastHeartbeatTime: undefined, conditions: (o.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']) });
  };
  return strip(prev) !== strip(next);
}
