/** Kueue WorkloadPriorityClass (kueue.x-k8s.io/v1beta1) → Capstan WorkloadPriorityClass. */
import type { KindConversion } from '../kind.js';
import { CAPSTAN_API_VERSION, checkEnvelope, convertMetadata, KUEUE_API_VERSION } from './kueue-common.js';

/** Converts a Kueue WorkloadPriorityClass (value, description). */
export const kueueWorkloadPriorityClassConversion: KindConversion = {
  apiVersion: KUEUE_API_VERSION,
  kind: 'WorkloadPriorityClass',
  convert(obj) {
    checkEnvelope(obj, 'Kueue WorkloadPriorityClass', ['value', 'description']);
    return {
      apiVersion: CAPSTAN_API_VERSION,
      kind: 'WorkloadPriorityClass',
      metadata: convertMetadata(obj.metadata, true),
      value: obj.value,
      ...(obj.description !== undefined ? { description: obj.description } : {}),
    };
  },
};
