/**
 * The kubernetes capability's platform module: the `local` Cluster, the Cluster controller
 * (health, nodes, status watches), every kubernetes Cluster as a compute target for the
 * TrainingJob reconciler (src/training), and one sync controller per other kind that runs
 * objects targeting a kubernetes Cluster. Kinds of other capabilities are looked up by name, so
 * the module works whichever of them are installed.
 */
import { ClusterKind } from '../../api/kinds/cluster.js';
import type { Kind } from '../../api/kind.js';
import type { KubeObject } from '../../api/meta.js';
import type { Controller, Watch } from '../../controllers/runtime/controller.js';
import type { PlatformContext, PlatformModule } from '../../server/platform-module.js';
import { ClusterController, ensureLocalCluster, type ClusterControllerOptions } from './cluster-controller.js';
import { KubernetesJobTarget } from './kubernetes-job-target.js';
import type { KubernetesRuntime } from './kubernetes-runtime.js';
import { placedClustersOf } from './managed-labels.js';
import type { RegistryTokenIssuer } from './registry-token.js';
import { RuntimeRegistry } from './runtime-registry.js';
import { inferenceServiceHandler, priorityClassHandler, projectHandler, type SyncDefaults } from './sync-handlers.js';
import { WorkloadSyncController, type SyncHandler } from './workload-sync-controller.js';

/** Defaults for clusters that do not name an image or a registry URL. */
export const KUBERNETES_DEFAULTS: SyncDefaults = { image: 'ghcr.io/capstan-dev/capstan:0.1.0', registryUrl: 'http://capstan.capstan-system.svc:8470' };

/** What the composition root hands the module (it may not import the server). */
export interface KubernetesModuleOptions {
  /** The scoped tokens registry-model pulls use; without it, pods pull without a token. */
  registryTokens?: (ctx: PlatformContext) => RegistryTokenIssuer;
  /** Retry timing of unreachable clusters (tests shorten it). */
  clusterRetry?: ClusterControllerOptions['retry'];
}

const keyOf = (o: KubeObject): string => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name);

/** Builds the kubernetes module; src/server/platform-modules.ts installs it with the server's scoped tokens. */
export function createKubernetesModule(opts: KubernetesModuleOptions = {}): PlatformModule {
  return { name: 'kubernetes', install: (ctx) => install(ctx, opts) };
}

async function install(ctx: PlatformContext, opts: KubernetesModuleOptions): Promise<void> {
  await ensureLocalCluster(ctx.client);
  const runtimes = new RuntimeRegistry(ctx.client);
  const recorder = ctx.recorder('kubernetes-runtime');
  const find = (n: string) => ctx.kinds.find(n);
  const byKind = new Map<string, Controller>();
  // Kinds whose objects record the clusters they were placed on (they may wait on a cluster).
  const placedKinds = (['TrainingJob', 'InferenceService'] as const).map(find).filter((k): k is Kind => !!k);
  const placedOn = (cluster: string) => placedKinds.flatMap((k) => ctx.manager.informer(k).list().filter((o) => placedClustersOf(o).includes(cluster)));
  // Something changed for an object on a cluster: its reconciler looks again.
  const requeue = (kind: string, key: string) => {
    const c = byKind.get(kind);
    if (c) c.queue.add(key);
    else ctx.targets.changed(kind, key);
  };
  let clusterQueue: { add(key: string): void } | undefined;
  const clusters = new ClusterController(ctx.client, runtimes, recorder, (cluster, e) => {
    // A node changed (NotReady, Unknown, new, gone): the Cluster's mirror of its nodes follows now.
    if (e.kind === 'Node') return clusterQueue?.add(cluster);
    if (e.owner) requeue(e.owner.kind, e.owner.namespace ? `${e.owner.namespace}/${e.owner.name}` : e.owner.name);
  }, find('Node'), undefined, find('ResourceFlavor'), {
    retry: opts.clusterRetry,
    waiting: (cluster) => placedOn(cluster).length > 0,
    requeue: (cluster) => clusterQueue?.add(cluster),
  });
  clusterQueue = ctx.manager.add(clusters, { primary: ctx.manager.informer(ClusterKind) }).queue;
  ctx.onStop(() => clusters.stop());

  // Every kubernetes Cluster is a compute target: the TrainingJob reconciler (src/training) runs jobs there.
  const target = (rt: KubernetesRuntime) => new KubernetesJobTarget(rt, runtimes.specOf(rt.clusterName)?.image ?? KUBERNETES_DEFAULTS.image);
  ctx.targets.setClusters({
    byName: async (name) => {
      const rt = await runtimes.byClusterName(name);
      return rt ? target(rt) : undefined;
    },
    placed: async (obj) => (await runtimes.placedRuntimes(obj)).map(target),
  });

  const handlers: SyncHandler[] = [];
  const isvc = find('InferenceService');
  if (isvc) handlers.push(inferenceServiceHandler(isvc, runtimes, KUBERNETES_DEFAULTS, opts.registryTokens?.(ctx)));
  const wpc = find('WorkloadPriorityClass');
  if (wpc) handlers.push(priorityClassHandler(wpc));
  const project = find('Project');
  if (project) handlers.push(projectHandler(project, ctx.client, find('LocalQueue'), find('ClusterQueue'), find('ResourceFlavor')));
  const clusterWide: { controller: Controller; kind: Kind }[] = [];
  for (const h of handlers) {
    const c = ctx.manager.add(new WorkloadSyncController(h, ctx.client, runtimes, recorder), { primary: ctx.manager.informer(h.kind), watches: h.kind === project ? queueWatches(ctx, project, find) : [] });
    byKind.set(h.kind.kind, c);
    if (h.kind === wpc || h.kind === project) clusterWide.push({ controller: c, kind: h.kind });
  }
  // A cluster that becomes reachable (new, or back) gets every project's Namespace and every
  // PriorityClass at once, not at the next resync: jobs and services wait for their namespace.
  // Objects waiting on it (a pending cleanup, a job to start) are looked at again now, not after
  // their own backoff (issue 19 point 11).
  ctx.manager.informer(ClusterKind).onChange((_t, obj, old) => {
    const up = (o: typeof obj | undefined) => (o?.status as { reachable?: boolean } | undefined)?.reachable === true;
    if (!up(obj) || up(old)) return;
    for (const { controller, kind } of clusterWide) for (const o of ctx.manager.informer(kind).list()) controller.queue.add(o.metadata.name);
    for (const o of placedOn(obj.metadata.name)) requeue(o.kind, keyOf(o));
  });
}

// A project's quota on a cluster follows its queues at once (issue 19 point 2), not at the next resync.
function queueWatches(ctx: PlatformContext, project: Kind, find: (n: string) => Kind | undefined): Watch[] {
  const allProjects = () => ctx.manager.informer(project).list().map((p) => p.metadata.name);
  const lq = find('LocalQueue');
  return [
    ...(lq ? [{ informer: ctx.manager.informer(lq), map: (o: KubeObject) => (o.metadata.namespace ? [o.metadata.namespace] : []) }] : []),
    ...(['ClusterQueue', 'ResourceFlavor'] as const).flatMap((k) => { const kind = find(k); return kind ? [{ informer: ctx.manager.informer(kind), map: allProjects }] : []; }),
  ];
}
