/** Kueue ResourceFlavor (kueue.x-k8s.io/v1beta1) → Capstan ResourceFlavor. */
import type { KindConversion } from '../kind.js';
import { asRecord, CAPSTAN_API_VERSION, checkEnvelope, convertMetadata, KUEUE_API_VERSION, rejectFields, unknownKeys } from './kueue-common.js';

/** Converts a Kueue ResourceFlavor; every spec field Kueue documents is supported but topologyName is only recorded. */
export const kueueResourceFlavorConversion: KindConversion = {
  apiVersion: KUEUE_API_VERSION,
  kind: 'ResourceFlavor',
  convert(obj) {
    checkEnvelope(obj, 'Kueue ResourceFlavor', ['spec']);
    const spec = asRecord(obj.spec);
    rejectFields('Kueue ResourceFlavor', unknownKeys(spec, ['nodeLabels', 'nodeTaints', 'tolerations', 'topologyName'], 'spec'));
    return { apiVersion: CAPSTAN_API_VERSION, kind: 'ResourceFlavor', metadata: convertMetadata(obj.metadata, true), spec };
  },
};
