/** Kueue ClusterQueue (kueue.x-k8s.io/v1beta1) → Capstan ClusterQueue. */
import type { StatusCause } from '../errors.js';
import type { KindConversion } from '../kind.js';
import { asRecord, CAPSTAN_API_VERSION, checkEnvelope, convertMetadata, KUEUE_API_VERSION, rejectFields, unknownKeys, unsupported } from './kueue-common.js';

const SUPPORTED = ['cohort', 'namespaceSelector', 'queueingStrategy', 'resourceGroups', 'flavorFungibility', 'preemption', 'stopPolicy', 'fairSharing'];
// Known Kueue fields Capstan has no machinery for yet: refusing them beats admitting work the
// user expected to be gated.
const KNOWN_UNSUPPORTED: Record<string, string> = {
  admissionChecks: 'admission checks are not supported by Capstan',
  admissionChecksStrategy: 'admission checks are not supported by Capstan',
  admissionScope: 'admissionScope is not supported by Capstan',
};

/** Converts a Kueue ClusterQueue; admission checks are refused by name. */
export const kueueClusterQueueConversion: KindConversion = {
  apiVersion: KUEUE_API_VERSION,
  kind: 'ClusterQueue',
  convert(obj) {
    checkEnvelope(obj, 'Kueue ClusterQueue', ['spec']);
    const spec = { ...asRecord(obj.spec) };
    const causes: StatusCause[] = [];
    for (const [k, why] of Object.entries(KNOWN_UNSUPPORTED)) if (spec[k] !== undefined) causes.push(unsupported(`spec.${k}`, why));
    causes.push(...unknownKeys(spec, [...SUPPORTED, ...Object.keys(KNOWN_UNSUPPORTED)], 'spec'));
    // Kueue v1beta2 spells the cohort `cohortName`; say so instead of "unknown field".
    if (spec.cohortName !== undefined) causes.push(unsupported('spec.cohortName', 'use spec.cohort (kueue.x-k8s.io/v1beta1)'));
    const uniq = new Map(causes.map((c) => [c.field, c]));
    rejectFields('Kueue ClusterQueue', [...uniq.values()]);
    return { apiVersion: CAPSTAN_API_VERSION, kind: 'ClusterQueue', metadata: convertMetadata(obj.metadata, true), spec };
  },
};
