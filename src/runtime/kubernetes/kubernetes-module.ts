/**
 * The kubernetes capability's platform module: the `local` Cluster, the Cluster controller
 * (health, nodes, status watches) and one sync controller per kind that runs objects targeting
 * a kubernetes Cluster. Kinds of other capabilities are looked up by name, so the module works
 * whichever of them are installed.
 */
import { ClusterKind } from '../../api/kinds/cluster.js';
import type { Controller } from '../../controllers/runtime/controller.js';
import type { PlatformModule } from '../../server/platform-module.js';
import { ClusterController, ensureLocalCluster } from './cluster-controller.js';
import { RuntimeRegistry } from './runtime-registry.js';
import { inferenceServiceHandler, priorityClassHandler, projectHandler, trainingJobHandler, type SyncDefaults } from './sync-handlers.js';
import { WorkloadSyncController, type SyncHandler } from './workload-sync-controller.js';

/** Defaults for clusters that do not name an image or a registry URL. */
export const KUBERNETES_DEFAULTS: SyncDefaults = { image: 'ghcr.io/capstan-dev/capstan:0.1.0', registryUrl: 'http://capstan.capstan-system.svc:8470' };

/** Installs the kubernetes controllers. */
export const kubernetesModule: PlatformModule = {
  name: 'kubernetes',
  async install(ctx) {
    await ensureLocalCluster(ctx.client);
    const runtimes = new RuntimeRegistry(ctx.client);
    const recorder = ctx.recorder('kubernetes-runtime');
    const find = (n: string) => ctx.kinds.find(n);
    const byKind = new Map<string, Controller>();
    const clusters = new ClusterController(ctx.client, runtimes, recorder, (_cluster, e) => {
      if (e.owner) byKind.get(e.owner.kind)?.queue.add(e.owner.namespace ? `${e.owner.namespace}/${e.owner.name}` : e.owner.name);
    }, find('Node'));
    ctx.manager.add(clusters, { primary: ctx.manager.informer(ClusterKind) });
    ctx.onStop(() => clusters.stop());
    const handlers: SyncHandler[] = [];
    const isvc = find('InferenceService');
    if (isvc) handlers.push(inferenceServiceHandler(isvc, runtimes, KUBERNETES_DEFAULTS));
    const job = find('TrainingJob');
    if (job) handlers.push(trainingJobHandler(job, runtimes, KUBERNETES_DEFAULTS));
    const wpc = find('WorkloadPriorityClass');
    if (wpc) handlers.push(priorityClassHandler(wpc));
    const project = find('Project');
    if (project) handlers.push(projectHandler(project, ctx.client, find('LocalQueue'), find('ClusterQueue')));
    for (const h of handlers) {
      const c = ctx.manager.add(new WorkloadSyncController(h, ctx.client, runtimes, recorder), { primary: ctx.manager.informer(h.kind) });
      byKind.set(h.kind.kind, c);
    }
  },
};
