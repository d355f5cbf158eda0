/** Builds a KubeConfig from a Cluster's spec: a file, inline base64 data, or the pod's service account. */
import { KubeConfig } from '@kubernetes/client-node';
import type { ClusterSpec } from '../../api/kinds/cluster.js';
import { KubeError } from './kube-errors.js';

/** Loads the kubeconfig a kubernetes Cluster names; throws KubeError(ConfigError) naming the field. */
export function kubeConfigFor(spec: ClusterSpec): KubeConfig {
  const src = spec.kubeconfig;
  if (spec.type !== 'kubernetes' || !src) throw configError('spec.kubeconfig', 'a kubernetes cluster needs spec.kubeconfig');
  const kc = new KubeConfig();
  try {
    if (src.inCluster) kc.loadFromCluster();
    else if (src.path) kc.loadFromFile(src.path);
    else if (src.data) kc.loadFromString(Buffer.from(src.data, 'base64').toString('utf8'));
  } catch (err) {
    const field = src.inCluster ? 'spec.kubeconfig.inCluster' : src.path ? 'spec.kubeconfig.path' : 'spec.kubeconfig.data';
    throw configError(field, `cannot load the kubeconfig: ${(err as Error).message}`, err);
  }
  if (src.context) {
    if (!kc.getContextObject(src.context)) throw configError('spec.kubeconfig.context', `the kubeconfig has no context "${src.context}"`);
    kc.setCurrentContext(src.context);
  }
  if (!kc.getCurrentCluster()) throw configError('spec.kubeconfig', 'the kubeconfig names no cluster for its current context');
  return kc;
}

function configError(field: string, message: string, cause?: unknown): KubeError {
  return new KubeError({ reason: 'ConfigError', message: `${field}: ${message}`, retryable: false }, { cause });
}
