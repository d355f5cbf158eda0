/**
 * Schema pieces shared by the queueing kinds (Node, ResourceFlavor, ClusterQueue, Workload):
 * Kubernetes quantities, resource lists, taints, tolerations and label selectors.
 */
import { z } from 'zod';
// The scheduling core's parser is pure and import-free; validating with it means a quantity the
// API accepts is always one the scheduler can read.
import { parseQuantity, QuantityError } from '../../scheduler/quantity.js';
import { labelMap } from '../meta.js';

/** A resource name: `cpu`, `memory`, `nvidia.com/gpu`, any extended resource. */
export const resourceName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'must be a resource name such as cpu, memory or nvidia.com/gpu');

/** A Kubernetes quantity ("500m", "4Gi", "2", 8); kept as written, validated with the core's parser. */
export const quantity = z.union([z.string().max(64), z.number().finite().nonnegative()]).superRefine((v, ctx) => {
  try {
    parseQuantity(v, 'quantity');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof QuantityError ? `${err.message}: must be a Kubernetes quantity such as 500m, 4Gi or 2` : 'invalid quantity' });
  }
});
/** A quantity as stored. */
export type Quantity = z.infer<typeof quantity>;

/** Resource name → quantity. */
export const resourceMap = z.record(resourceName, quantity);

/** A taint on a node or flavor. */
export const taint = z
  .object({
    key: z.string().min(1).max(316),
    value: z.string().max(63).optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  })
  .strict();

/** A toleration of a pod (or added by a flavor). */
export const toleration = z
  .object({
    key: z.string().max(316).optional(),
    operator: z.enum(['Exists', 'Equal']).optional(),
    value: z.string().max(63).optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.number().int().optional(),
  })
  .strict();

/** A Kubernetes label selector. */
export const labelSelector = z
  .object({
    matchLabels: labelMap.optional(),
    matchExpressions: z
      .array(
        z
          .object({
            key: z.string().min(1).max(316),
            operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: z.array(z.string().max(63)).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

/** Node selector: label → value. */
export const nodeSelector = z.record(z.string().max(316), z.string().max(63));

/** A status condition list reused by every queueing kind. */
export { condition } from '../meta.js';
