/** Kueue LocalQueue (kueue.x-k8s.io/v1beta1) → Capstan LocalQueue. */
import type { KindConversion } from '../kind.js';
import { asRecord, CAPSTAN_API_VERSION, checkEnvelope, convertMetadata, KUEUE_API_VERSION, rejectFields, unknownKeys, unsupported } from './kueue-common.js';

/** Converts a Kueue LocalQueue; per-LocalQueue fair sharing is refused by name. */
export const kueueLocalQueueConversion: KindConversion = {
  apiVersion: KUEUE_API_VERSION,
  kind: 'LocalQueue',
  convert(obj) {
    checkEnvelope(obj, 'Kueue LocalQueue', ['spec']);
    const spec = asRecord(obj.spec);
    const causes = spec.fairSharing !== undefined ? [unsupported('spec.fairSharing', 'LocalQueue fair sharing is not supported; set fairSharing.weight on the ClusterQueue')] : [];
    causes.push(...unknownKeys(spec, ['clusterQueue', 'stopPolicy', 'fairSharing'], 'spec'));
    rejectFields('Kueue LocalQueue', causes);
    return { apiVersion: CAPSTAN_API_VERSION, kind: 'LocalQueue', metadata: convertMetadata(obj.metadata, false), spec };
  },
};
