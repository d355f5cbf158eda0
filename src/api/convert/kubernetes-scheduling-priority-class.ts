/**
 * Kubernetes `scheduling.k8s.io/v1` PriorityClass → WorkloadPriorityClass: the value and
 * description carry over. `globalDefault: true` and `preemptionPolicy: Never` are refused by name
 * (Capstan has no default class, and preemption is the ClusterQueue's policy); their no-op values
 * (false, PreemptLowerPriority) are accepted.
 */
import type { StatusCause } from '../errors.js';
import type { KindConversion } from '../kind.js';
import { CAPSTAN_API_VERSION, checkEnvelope, convertMetadata, rejectFields, unsupported } from './kueue-common.js';

/** Converts a Kubernetes PriorityClass. */
export const priorityClassConversion: KindConversion = {
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  convert(obj) {
    checkEnvelope(obj, 'PriorityClass', ['value', 'description', 'globalDefault', 'preemptionPolicy']);
    const causes: StatusCause[] = [];
    if (obj.globalDefault !== undefined && obj.globalDefault !== false) causes.push(unsupported('globalDefault', 'a global default priority is not supported; set priorityClassName on workloads'));
    if (obj.preemptionPolicy !== undefined && obj.preemptionPolicy !== 'PreemptLowerPriority') causes.push(unsupported('preemptionPolicy', 'only PreemptLowerPriority; preemption is configured on the ClusterQueue'));
    rejectFields('PriorityClass', causes);
    return {
      apiVersion: CAPSTAN_API_VERSION,
      kind: 'WorkloadPriorityClass',
      metadata: convertMetadata(obj.metadata, true),
      value: obj.value,
      ...(obj.description !== undefined ? { description: obj.description } : {}),
    };
  },
};
