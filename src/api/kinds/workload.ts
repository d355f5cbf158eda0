/**
 * Workload: the unit a queue admits, all pods at once (Kueue's). A TrainingJob, pipeline step or
 * inference service makes one; nothing runs before `status.admission` is set.
 */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { condition, objectName, type Condition, type KubeObject } from '../meta.js';
import { nodeSelector, resourceMap, toleration } from './node-scheduling-schemas.js';

const resources = z.object({ requests: resourceMap.optional(), limits: resourceMap.optional() }).strict();

const container = z
  .object({ name: z.string().min(1).max(63), image: z.string().max(1024).optional(), resources: resources.optional() })
  .strict();

/** Kueue's pod template, narrowed to what scheduling reads. */
const podTemplate = z
  .object({
    spec: z
      .object({
        containers: z.array(container).min(1).max(32),
        initContainers: z.array(container).max(32).optional(),
        nodeSelector: nodeSelector.optional(),
        tolerations: z.array(toleration).max(32).optional(),
      })
      .strict(),
  })
  .strict();

/** A group of identical pods: flattened (`requests`) or Kueue-style (`template`). */
export const podSetSchema = z
  .object({
    name: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label').default('main'),
    count: z.number().int().min(1).max(10000).default(1),
    /** Per-pod requests (flattened form). */
    requests: resourceMap.optional(),
    nodeSelector: nodeSelector.optional(),
    tolerations: z.array(toleration).max(32).optional(),
    /** Kueue-style pod template; its containers' requests are summed per pod. */
    template: podTemplate.optional(),
  })
  .strict()
  .refine((p) => !(p.requests && p.template), { message: 'give either requests or template, not both', path: ['template'] });
/** A podSet as stored. */
export type PodSetSpec = z.infer<typeof podSetSchema>;

/** The spec of a Workload. */
export const workloadSpec = z
  .object({
    /** LocalQueue in the workload's project. */
    queueName: objectName.default('default'),
    priorityClassName: objectName.optional(),
    /** Explicit priority; wins over priorityClassName. */
    priority: z.number().int().min(-2147483648).max(2147483647).optional(),
    podSets: z.array(podSetSchema).min(1).max(8).superRefine((sets, ctx) => {
      const seen = new Set<string>();
      sets.forEach((s, i) => {
        if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate podSet name ${s.name}` });
        seen.add(s.name);
      });
    }),
    /** Declared run time, for start estimates of the workloads queued behind this one. */
    expectedDurationSeconds: z.number().positive().max(10 * 365 * 86400).optional(),
    /** When the owner will stop it at the latest (RFC 3339). */
    deadline: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
/** A Workload spec as stored. */
export type WorkloadSpec = z.infer<typeof workloadSpec>;

const podSetAssignment = z
  .object({
    name: z.string(),
    /** resource → flavor */
    flavors: z.record(z.string(), z.string()),
    count: z.number().int(),
    /** Total of the podSet (count × per-pod), as quantities. */
    resourceUsage: z.record(z.string(), z.string()).optional(),
    /** Node and GPU indices of each pod, in pod order. */
    placements: z.array(z.object({ node: z.string(), gpus: z.array(z.number().int().nonnegative()) }).strict()).optional(),
  })
  .strict();

const admission = z.object({ clusterQueue: z.string(), podSetAssignments: z.array(podSetAssignment) }).strict();
/** Admission as stored in status. */
export type WorkloadAdmission = z.infer<typeof admission>;

const pending = z
  .object({
    reason: z.string(),
    message: z.string(),
    /** 1-based place in its ClusterQueue. */
    position: z.number().int().optional(),
    clusterQueue: z.string().optional(),
    /** Estimated start (RFC 3339) when the running work's ends are known. */
    estimatedStart: z.string().optional(),
  })
  .strict();

const workloadStatus = z
  .object({
    admission: admission.optional(),
    pending: pending.optional(),
    /** Priority resolved from spec.priority or the priority class. */
    priority: z.number().int().optional(),
    /** Times it was evicted and put back in its queue. */
    requeueCount: z.number().int().optional(),
    observedGeneration: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();
/** A Workload status as stored. */
export type WorkloadStatus = z.infer<typeof workloadStatus>;

/** A Workload object. */
export type WorkloadObject = KubeObject<WorkloadSpec, WorkloadStatus>;

function cond(o: KubeObject, type: string): Condition | undefined {
  return (o.status as WorkloadStatus | undefined)?.conditions?.find((c) => c.type === type);
}

/** One word for where a workload stands: Pending, Admitted, Evicting, Finished. */
export function workloadPhase(o: KubeObject): 'Pending' | 'Admitted' | 'Evicting' | 'Finished' {
  const st = o.status as WorkloadStatus | undefined;
  if (cond(o, 'Finished')?.status === 'True') return 'Finished';
  if (st?.admission && cond(o, 'Evicted')?.status === 'True') return 'Evicting';
  if (st?.admission && cond(o, 'QuotaReserved')?.status === 'True') return 'Admitted';
  return 'Pending';
}

/** The Workload kind. */
export const WorkloadKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Workload',
  plural: 'workloads',
  singular: 'workload',
  shortNames: ['wl', 'wls'],
  namespaced: true,
  description: 'The unit a queue admits: groups of identical pods with their requests, admitted all at once when quota and nodes allow.',
  body: z.object({ spec: workloadSpec, status: workloadStatus.optional() }),
  status: workloadStatus,
  columns: [
    { name: 'QUEUE', value: (o) => (o.spec as WorkloadSpec | undefined)?.queueName ?? '' },
    { name: 'ADMITTED BY', value: (o) => (o.status as WorkloadStatus | undefined)?.admission?.clusterQueue ?? '' },
    { name: 'STATUS', value: (o) => workloadPhase(o) },
    { name: 'POSITION', value: (o) => { const p = (o.status as WorkloadStatus | undefined)?.pending?.position; return workloadPhase(o) === 'Pending' && p ? String(p) : ''; } },
    { name: 'REASON', value: (o) => (workloadPhase(o) === 'Pending' ? (o.status as WorkloadStatus | undefined)?.pending?.reason ?? '' : '') },
    { name: 'PRIORITY', value: (o) => String((o.status as WorkloadStatus | undefined)?.priority ?? (o.spec as WorkloadSpec | undefined)?.priority ?? ''), wide: true },
    { name: 'ESTIMATED START', value: (o) => (workloadPhase(o) === 'Pending' ? (o.status as WorkloadStatus | undefined)?.pending?.estimatedStart ?? '' : ''), wide: true },
    { name: 'MESSAGE', value: (o) => (workloadPhase(o) === 'Pending' ? (o.status as WorkloadStatus | undefined)?.pending?.message ?? '' : ''), wide: true },
  ],
});
