/**
 * The calls the runtime makes to one cluster, on @kubernetes/client-node: server-side apply
 * with field manager `capstan`, read, list by label, delete, the scale subresource, version,
 * nodes and watches. Every failure is thrown as a KubeError with the cluster's own message.
 */
import { AppsV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, VersionApi, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { classifyError, KubeError } from './kube-errors.js';
import { FIELD_MANAGER, type Manifest } from './managed-labels.js';

/** A cluster object as plain JSON (timestamps as strings). */
export type KubeJson = Manifest & { metadata: Manifest['metadata'] & { uid?: string; resourceVersion?: string; deletionTimestamp?: string }; status?: Record<string, unknown>; spec?: Record<string, unknown> };

/** One watch event. */
export interface KubeWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeJson;
}

// client-node's typed models turn timestamps into Date objects; the runtime works on plain JSON.
function plain<T>(v: unknown): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A thin, typed-error client for one cluster. */
export class KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly versionApi: VersionApi;

  constructor(readonly kc: KubeConfig, private readonly timeoutMs = 15_000) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.versionApi = kc.makeApiClient(VersionApi);
  }

  // A cluster that accepts connections and never answers must not hold a reconcile forever.
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KubeError({ reason: 'Timeout', message: `${what}: no answer from the cluster in ${this.timeoutMs} ms`, retryable: true })), this.timeoutMs);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (err) {
      if (err instanceof KubeError) throw err;
      const f = classifyError(err);
      throw new KubeError({ ...f, message: f.reason === 'ClusterUnreachable' ? `${what}: ${f.message}` : f.message }, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Server-side apply (force: Capstan owns what it declares), creating the object if absent. */
  apply(m: Manifest): Promise<KubeJson> {
    return this.call(`apply ${m.kind} ${m.metadata.name}`, async () => plain<KubeJson>(await this.objects.patch(m as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply)));
  }

  /** Reads an object, or undefined when it does not exist. */
  async tryRead(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeJson | undefined> {
    try {
      return await this.call(`read ${kind} ${name}`, async () => plain<KubeJson>(await this.objects.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } })));
    } catch (err) {
      if (err instanceof KubeError && err.failure.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  /**
   * Whether an object exists, asked with a dry-run create (`create` permission only, nothing is
   * stored, nothing of an existing object is returned): AlreadyExists means it is there.
   */
  async existsByDryRunCreate(m: Manifest): Promise<boolean> {
    try {
      await this.call(`dry-run create ${m.kind} ${m.metadata.name}`, () => this.objects.create(m as KubernetesObject, undefined, 'All', FIELD_MANAGER));
      return false;
    } catch (err) {
      if (err instanceof KubeError && err.failure.reason === 'AlreadyExists') return true;
      throw err;
    }
  }

  /** Lists objects of a kind by label selector, in one namespace or all. */
  list(apiVersion: string, kind: string, labelSelector: string, namespace?: string): Promise<KubeJson[]> {
    return this.call(`list ${kind}`, async () => plain<{ items: KubeJson[] }>(await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector)).items);
  }

  /** Deletes an object in the background (dependents go through the cluster's GC); absent is fine. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void> {
    try {
      await this.call(`delete ${kind} ${name}`, () => this.objects.delete({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }, undefined, undefined, undefined, undefined, 'Background'));
    } catch (err) {
      if (err instanceof KubeError && err.failure.reason === 'NotFound') return;
      throw err;
    }
  }

  /** Sets a Deployment's replicas through the scale subresource (what Capstan's autoscaler does). */
  async scaleDeployment(namespace: string, name: string, replicas: number): Promise<void> {
    await this.call(`scale Deployment ${name}`, () => this.apps.replaceNamespacedDeploymentScale({ name, namespace, body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace }, spec: { replicas } } }));
  }

  /** The API server's version (gitVersion). */
  version(): Promise<string> {
    return this.call('get version', async () => (await this.versionApi.getCode()).gitVersion);
  }

  /** Every node, as plain JSON. */
  nodes(): Promise<KubeJson[]> {
    return this.call('list nodes', async () => plain<{ items: KubeJson[] }>(await this.core.listNode()).items);
  }

  /** The last `limitBytes` of a pod's log (its one container). */
  podLog(namespace: string, name: string, limitBytes: number): Promise<string> {
    return this.call(`read log of Pod ${name}`, async () => String(await this.core.readNamespacedPodLog({ name, namespace, limitBytes })));
  }

  /** Pods of a namespace matching a label selector. */
  pods(namespace: string, labelSelector: string): Promise<KubeJson[]> {
    return this.list('v1', 'Pod', labelSelector, namespace);
  }

  /**
   * Watches a path (e.g. `/apis/apps/v1/deployments`) until `signal` aborts, re-listing from the
   * last resourceVersion after a drop and backing off while the cluster is away.
   */
  watch(path: string, labelSelector: string, onEvent: (e: KubeWatchEvent) => void, onError: (err: unknown) => void, signal: AbortSignal, onReconnected: () => void = () => undefined): void {
    const w = new Watch(this.kc);
    let resourceVersion: string | undefined;
    let failures = 0;
    const loop = async (): Promise<void> => {
      while (!signal.aborted) {
        const ended = await new Promise<unknown>((resolve) => {
          w.watch(path, { labelSelector, allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) }, (type, obj) => {
            failures = 0;
            const o = plain<KubeJson>(obj);
            if (o?.metadata?.resourceVersion) resourceVersion = o.metadata.resourceVersion;
            if (type !== 'BOOKMARK') onEvent({ type: type as KubeWatchEvent['type'], object: o });
          }, resolve)
            .then((ctl) => {
              // Connected again after failures: the API server is back (issue 19 point 11).
              if (failures > 0) onReconnected();
              signal.addEventListener('abort', () => ctl.abort(), { once: true });
            })
            .catch(resolve);
        });
        if (signal.aborted) return;
        if (ended) {
          failures++;
          // 410 Gone: our resourceVersion is too old; start over from "now".
          if ((ended as { code?: number; statusCode?: number }).code === 410 || /410|too old/.test(String((ended as Error).message))) resourceVersion = undefined;
          onError(ended);
        }
        await new Promise((r) => setTimeout(r, Math.min(30_000, 200 * 2 ** Math.min(failures, 8))).unref());
      }
    };
    void loop();
  }
}
