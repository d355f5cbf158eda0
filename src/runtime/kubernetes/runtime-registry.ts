/**
 * One KubernetesRuntime per kubernetes Cluster, rebuilt when the Cluster's spec changes, and
 * the seam the other controllers use: which cluster an object targets.
 */
import { ClusterKind, LOCAL_CLUSTER_NAME, type ClusterSpec } from '../../api/kinds/cluster.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceClient } from '../../client/resource-client.js';
import { KubernetesRuntime } from './kubernetes-runtime.js';
import { placedClustersOf } from './managed-labels.js';

export { targetClusterOf } from '../../api/kinds/cluster.js';

/** Runtimes by Cluster name. */
export class RuntimeRegistry {
  private readonly byName = new Map<string, { generation: number; runtime: KubernetesRuntime; spec: ClusterSpec }>();

  constructor(private readonly client: ResourceClient, private readonly timeoutMs?: number) {}

  /** The runtime of a Cluster object (throws KubeError ConfigError for a bad kubeconfig). */
  forObject(cluster: KubeObject): KubernetesRuntime {
    const cur = this.byName.get(cluster.metadata.name);
    if (cur && cur.generation === cluster.metadata.generation) return cur.runtime;
    const runtime = KubernetesRuntime.forCluster(cluster.metadata.name, cluster.spec as ClusterSpec, this.timeoutMs);
    this.byName.set(cluster.metadata.name, { generation: cluster.metadata.generation, runtime, spec: cluster.spec as ClusterSpec });
    return runtime;
  }

  /** The runtime of a kubernetes Cluster by name, or undefined when it is local or absent. */
  async byClusterName(name: string): Promise<KubernetesRuntime | undefined> {
    const c = await this.client.tryGet(ClusterKind, undefined, name);
    if (!c || (c.spec as ClusterSpec).type !== 'kubernetes') return undefined;
    return this.forObject(c);
  }

  /** Every kubernetes Cluster's runtime (skipping ones whose kubeconfig cannot load). */
  async allKubernetes(): Promise<KubernetesRuntime[]> {
    const out: KubernetesRuntime[] = [];
    for (const c of (await this.client.list(ClusterKind)).items) {
      if ((c.spec as ClusterSpec).type !== 'kubernetes') continue;
      try {
        out.push(this.forObject(c));
      } catch {
        // The Cluster controller reports the bad kubeconfig on the Cluster itself.
      }
    }
    return out;
  }

  /**
   * The runtimes of the clusters an object's placed-clusters annotation records (a recorded Cluster
   * that no longer exists is skipped: nothing Capstan can reach); every kubernetes cluster for an
   * object from before the annotation existed.
   */
  async placedRuntimes(obj: KubeObject): Promise<KubernetesRuntime[]> {
    const names = placedClustersOf(obj);
    if (names.length === 0) return this.allKubernetes();
    return (await Promise.all(names.map((n) => this.byClusterName(n)))).filter((r): r is KubernetesRuntime => !!r);
  }

  /** The spec a runtime was built from (image, registryUrl). */
  specOf(name: string): ClusterSpec | undefined {
    return this.byName.get(name)?.spec;
  }

  /** Forgets a deleted Cluster. */
  forget(name: string): void {
    this.byName.delete(name);
  }
}
