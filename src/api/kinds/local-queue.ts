/** LocalQueue: a project's name for a ClusterQueue; workloads name it in `queueName` (Kueue's). */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { condition, objectName } from '../meta.js';
import { kueueLocalQueueConversion } from '../convert/kueue-local-queue.js';

/** The spec of a LocalQueue. */
export const localQueueSpec = z
  .object({
    clusterQueue: objectName,
    stopPolicy: z.enum(['None', 'Hold', 'HoldAndDrain']).optional(),
  })
  .strict();

const localQueueStatus = z
  .object({
    pendingWorkloads: z.number().int().optional(),
    reservingWorkloads: z.number().int().optional(),
    admittedWorkloads: z.number().int().optional(),
    observedGeneration: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();
/** A LocalQueue status as stored. */
export type LocalQueueStatus = z.infer<typeof localQueueStatus>;

/** The LocalQueue kind. */
export const LocalQueueKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'LocalQueue',
  plural: 'localqueues',
  singular: 'localqueue',
  shortNames: ['lq', 'queue', 'queues'],
  namespaced: true,
  description: "A project's queue: a name workloads use that points at a ClusterQueue.",
  body: z.object({ spec: localQueueSpec, status: localQueueStatus.optional() }),
  status: localQueueStatus,
  conversions: [kueueLocalQueueConversion],
  columns: [
    { name: 'CLUSTERQUEUE', value: (o) => (o.spec as z.infer<typeof localQueueSpec> | undefined)?.clusterQueue ?? '' },
    { name: 'PENDING', value: (o) => String((o.status as LocalQueueStatus | undefined)?.pendingWorkloads ?? 0) },
    { name: 'ADMITTED', value: (o) => String((o.status as LocalQueueStatus | undefined)?.admittedWorkloads ?? 0) },
  ],
});
