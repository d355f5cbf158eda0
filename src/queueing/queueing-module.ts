/**
 * The queueing capability's platform module: registers this machine as a Node, makes sure the
 * default flavor and queues exist, and runs the admission controller over the live objects.
 */
import { ProjectKind } from '../api/kinds/project.js';
import { ClusterQueueKind } from '../api/kinds/cluster-queue.js';
import { LocalQueueKind } from '../api/kinds/local-queue.js';
import { NodeKind } from '../api/kinds/node.js';
import { ResourceFlavorKind } from '../api/kinds/resource-flavor.js';
import { WorkloadKind } from '../api/kinds/workload.js';
import { WorkloadPriorityClassKind } from '../api/kinds/workload-priority-class.js';
import type { PlatformModule } from '../server/platform-module.js';
import { AdmissionController } from './admission-controller.js';
import { machineFacts, registerLocalNode } from './local-node.js';
import { ensureDefaultQueues, ensureQuotaLocalQueue } from './queue-defaults.js';

/** How often the local node's heartbeat refreshes its Ready condition. */
const HEARTBEAT_MS = 60_000;

/** Installs the queueing controllers. */
export const queueingModule: PlatformModule = {
  name: 'queueing',
  async install(ctx) {
    const log = ctx.log.child({ module: 'queueing' });
    const facts = await machineFacts();
    const node = await registerLocalNode(ctx.client, facts);
    await ensureDefaultQueues(ctx.client, facts);
    log.info({ node: node.metadata.name, cpus: facts.cpus, memoryBytes: facts.memoryBytes, gpus: facts.gpus.length }, 'local node registered');

    const heartbeat = setInterval(() => {
      registerLocalNode(ctx.client, facts).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'node heartbeat failed'));
    }, HEARTBEAT_MS);
    heartbeat.unref();

    const m = ctx.manager;
    const controller = new AdmissionController({
      client: ctx.client,
      informers: {
        projects: m.informer(ProjectKind), resourceFlavors: m.informer(ResourceFlavorKind), clusterQueues: m.informer(ClusterQueueKind),
        localQueues: m.informer(LocalQueueKind), priorityClasses: m.informer(WorkloadPriorityClassKind), workloads: m.informer(WorkloadKind), nodes: m.informer(NodeKind),
      },
      recorder: ctx.recorder('capstan-queueing'),
      log: log.child({ controller: 'admission' }),
      metrics: ctx.metrics,
    });
    m.add({
      name: 'resource-quota-queues',
      reconcile: async (key) => {
        const cq = await ctx.client.tryGet(ClusterQueueKind, undefined, key);
        if (cq) await ensureQuotaLocalQueue(ctx.client, cq);
      },
    }, { primary: m.informer(ClusterQueueKind), concurrency: 1 });
    // Informers are started by the manager after install; cycles begin once the server is up.
    ctx.onStarted(() => controller.start());
    ctx.onStop(async () => {
      clearInterval(heartbeat);
      await controller.stop();
    });
  },
};
