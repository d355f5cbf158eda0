/**
 * The kubernetes capability's platform module: the `local` Cluster, the Cluster controller
 * (health, nodes, status watches) and one sync controller per kind that runs objects targeting
 * a kubernetes Cluster. Kinds of other capabilities are looked up by name, so the module works
 * whichever of them are installed.
 */
import { ClusterKind } from '../../api/kinds/cluster.js';
import type { Controller } from '../../controllers/runtime/controller.js';
import type { KubernetesRuntime } from './kubernetes-runtime.js';
import type { PlatformContext, PlatformModule } from '../../server/platform-module.js';
import type { RegistryTokenIssuer } from './registry-token.js';
import { ClusterController, ensureLocalCluster } from './cluster-controller.js';
import { RuntimeRegistry } from './runtime-registry.js';
import { inferenceServiceHandler, priorityClassHandler, projectHandler, type SyncDefaults } from './sync-handlers.js';
import { KubernetesJobTarget } from './kubernetes-job-target.js';
import { WorkloadSyncController, type SyncHandler } from './workload-sync-controller.js';

/** Defaults for clusters that do not name an image or a registry URL. */
export const KUBERNETES_DEFAULTS: SyncDefaults = { image: 'ghcr.io/capstan-dev/capstan:0.1.0', registryUrl: 'http://capstan.capstan-system.svc:8470' };

/** What the composition root hands the module (it may not import the server). */
export interface KubernetesModuleOptions {
  /** The scoped tokens registry-model pulls use; without it, pods pull without a token. */
  registryTokens?: (ctx: PlatformContext) => RegistryTokenIssuer;
}

/** Builds the kubernetes module; src/server/platform-modules.ts installs it with the server's scoped tokens. */
export function createKubernetesModule(opts: KubernetesModuleOptions = {}): PlatformModule {
  return {
  name: 'kubernetes',
  async install(ctx) {
    await ensureLocalCluster(ctx.client);
    const runtimes = new RuntimeRegistry(ctx.client);
    const recorder = ctx.recorder('kubernetes-runtime');
    const find = (n: string) => ctx.kinds.find(n);
    const byKind = new Map<string, Controller>();
    const clusters = new ClusterController(ctx.client, runtimes, recorder, (_cluster, e) => {
      if (!e.owner) return;
      const key = e.owner.namespace ? `${e.owner.namespace}/${e.owner.name}` : e.owner.name;
      const c = byKind.get(e.owner.kind);
      if (c) c.queue.add(key);
      else ctx.targets.changed(e.owner.kind, key);
    }, find('Node'), undefined, find('ResourceFlavor'));
    ctx.manager.add(clusters, { primary: ctx.manager.informer(ClusterKind) });
    ctx.onStop(() => clusters.stop());
    const handlers: SyncHandler[] = [];
    const isvc = find('InferenceService');
    if (isvc) handlers.push(inferenceServiceHandler(isvc, runtimes, KUBERNETES_DEFAULTS, opts.registryTokens?.(ctx)));
    // Every kubernetes Cluster is a compute target: the TrainingJob reconciler (src/training) runs jobs there.
    const target = (rt: KubernetesRuntime) => new KubernetesJobTarget(rt, runtimes.specOf(rt.clusterName)?.image ?? KUBERNETES_DEFAULTS.image);
    ctx.targets.setClusters({
      byName: async (name) => {
        const rt = await runtimes.byClusterName(name);
        return rt ? target(rt) : undefined;
      },
      placed: async (obj) => (await runtimes.placedRuntimes(obj)).map(target),
    });
    const wpc = find('WorkloadPriorityClass');
    if (wpc) handlers.push(priorityClassHandler(wpc));
    const project = find('Project');
    if (project) handlers.push(projectHandler(project, ctx.client, find('LocalQueue'), find('ClusterQueue')));
    const clusterWide: { controller: Controller; kind: NonNullable<typeof wpc> }[] = [];
    for (const h of handlers) {
      const informer = ctx.manager.informer(h.kind);
      const c = ctx.manager.add(new WorkloadSyncController(h, ctx.client, runtimes, recorder), { primary: informer });
      byKind.set(h.kind.kind, c);
      if (h.kind === wpc || h.kind === project) clusterWide.push({ controller: c, kind: h.kind });
    }
    // A cluster that becomes reachable (new, or back) gets every project's Namespace and every
    // PriorityClass at once, not at the next resync: jobs and services wait for their namespace.
    ctx.manager.informer(ClusterKind).onChange((_t, obj, old) => {
      const up = (o: typeof obj | undefined) => (o?.status as { reachable?: boolean } | undefined)?.reachable === true;
      if (!up(obj) || up(old)) return;
      for (const { controller, kind } of clusterWide) for (const o of ctx.manager.informer(kind).list()) controller.queue.add(o.metadata.name);
    });
  },
};
}
