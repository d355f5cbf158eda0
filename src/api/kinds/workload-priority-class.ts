/** WorkloadPriorityClass: a named priority for workloads, independent of pod priority (Kueue's). */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { kueueWorkloadPriorityClassConversion } from '../convert/kueue-workload-priority-class.js';
import { priorityClassConversion } from '../convert/kubernetes-scheduling-priority-class.js';

/** The WorkloadPriorityClass kind (value and description at the top level, as in Kueue and Kubernetes). */
export const WorkloadPriorityClassKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'WorkloadPriorityClass',
  plural: 'workloadpriorityclasses',
  singular: 'workloadpriorityclass',
  shortNames: ['wpc', 'priorityclass', 'priorityclasses', 'pc'],
  namespaced: false,
  description: 'A named priority workloads refer to by priorityClassName; higher values are admitted first and may preempt lower ones.',
  body: z.object({
    // Kubernetes' range for user priority classes.
    value: z.number().int().min(-2147483648).max(1000000000),
    description: z.string().max(4000).optional(),
  }),
  conversions: [kueueWorkloadPriorityClassConversion, priorityClassConversion],
  columns: [
    { name: 'VALUE', value: (o) => String(o.value ?? '') },
    { name: 'DESCRIPTION', value: (o) => String(o.description ?? '') },
  ],
});
