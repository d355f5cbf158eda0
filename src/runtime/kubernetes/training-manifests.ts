/**
 * Pure generator: a TrainingJob → a headless Service (the root, for rendezvous DNS) and one
 * Pod per replica owned by it, each with the same rendezvous env as on the local runtime.
 */
import { resourceRequirements, type ManifestSet, type PodToleration, type ReplicaResources } from './inference-manifests.js';
import { dnsLabel, LABELS, managedLabels, type CapstanOwner, type Manifest } from './managed-labels.js';
import { clusterRendezvous, defaultClusterPort, rendezvousEnv, replicaKey, replicaPodName } from '../rendezvous-env.js';
import type { TrainingFramework } from '../../api/kinds/training-job-schema.js';

/** Where a replica finds its output and metrics directory in the pod (an emptyDir). */
export const POD_WORK_DIR = '/capstan';

/** One role (Master, Worker, PS, Chief, Evaluator, ...) of a job. */
export interface TrainingRoleInput {
  role: string;
  replicas: number;
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  workingDir?: string;
  resources?: ReplicaResources;
  /** Capstan's policy; ExitCode is enforced by Capstan, so the pod itself never restarts. */
  restartPolicy?: 'OnFailure' | 'Never' | 'ExitCode';
  /** From the flavors admitted for this role's podSet; wins over the job-wide ones. */
  nodeSelector?: Record<string, string>;
  tolerations?: PodToleration[];
}

/** Everything needed to run a job on a cluster. */
export interface TrainingJobInput {
  name: string;
  namespace: string;
  uid: string;
  framework: TrainingFramework;
  roles: TrainingRoleInput[];
  nodeSelector?: Record<string, string>;
  tolerations?: PodToleration[];
  priorityClassName?: string;
  /** Rendezvous port; defaults by framework. */
  port?: number;
  activeDeadlineSeconds?: number;
  /** `capstan` when Capstan acts as the secondary scheduler binding these pods. */
  schedulerName?: string;
  serviceAccountName?: string;
}

/** Builds the headless Service and the replica Pods. */
export function trainingJobManifests(input: TrainingJobInput): ManifestSet {
  const owner: CapstanOwner = { kind: 'TrainingJob', name: input.name, uid: input.uid, namespace: input.namespace };
  const base = managedLabels(owner);
  const port = input.port ?? defaultClusterPort(input.framework);
  const service = input.name;
  const root: Manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: service, namespace: input.namespace, labels: base },
    spec: {
      clusterIP: 'None',
      // Replicas must resolve each other before they are ready: rendezvous is what makes them ready.
      publishNotReadyAddresses: true,
      selector: { [LABELS.uid]: base[LABELS.uid] },
      ports: [{ name: 'rendezvous', port, targetPort: port, protocol: 'TCP' }],
    },
  };
  const roles = input.roles.map((r) => ({ role: r.role, replicas: r.replicas }));
  const pods: Manifest[] = [];
  for (const r of input.roles) {
    const nodeSelector = r.nodeSelector ?? input.nodeSelector;
    const tolerations = r.tolerations ?? input.tolerations;
    for (let i = 0; i < r.replicas; i++) {
      const ref = { role: r.role, index: i };
      const podName = replicaPodName(input.name, ref);
      // The one rendezvous env (src/runtime/rendezvous-env.ts), with the headless Service's DNS names.
      const env = {
        ...(r.env ?? {}),
        ...rendezvousEnv({
          job: input.name, namespace: input.namespace, framework: input.framework, roles, ...clusterRendezvous(input.name, service, input.framework, roles, port),
          metricsFile: (x) => `${POD_WORK_DIR}/metrics-${replicaKey(x)}.jsonl`, outputDir: `${POD_WORK_DIR}/output`,
        }, ref),
      };
      pods.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: podName, namespace: input.namespace, labels: { ...base, [LABELS.role]: r.role.toLowerCase(), [LABELS.index]: String(i) } },
        spec: {
          hostname: podName,
          subdomain: service,
          restartPolicy: r.restartPolicy === 'OnFailure' ? 'OnFailure' : 'Never',
          ...(input.schedulerName ? { schedulerName: input.schedulerName } : {}),
          ...(input.serviceAccountName ? { serviceAccountName: input.serviceAccountName } : {}),
          ...(input.priorityClassName ? { priorityClassName: input.priorityClassName } : {}),
          ...(input.activeDeadlineSeconds ? { activeDeadlineSeconds: input.activeDeadlineSeconds } : {}),
          ...(nodeSelector && Object.keys(nodeSelector).length ? { nodeSelector } : {}),
          ...(tolerations?.length ? { tolerations } : {}),
          // The replica's writable place for $CAPSTAN_OUTPUT_DIR and $CAPSTAN_METRICS_FILE, as locally.
          volumes: [{ name: 'capstan-work', emptyDir: {} }],
          containers: [
            {
              name: dnsLabel(r.role),
              image: r.image,
              ...(r.command ? { command: r.command } : {}),
              ...(r.args ? { args: r.args } : {}),
              ...(r.workingDir ? { workingDir: r.workingDir } : {}),
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              ports: [{ name: 'rendezvous', containerPort: port, protocol: 'TCP' }],
              resources: resourceRequirements(r.resources),
              volumeMounts: [{ name: 'capstan-work', mountPath: POD_WORK_DIR }],
            },
          ],
        },
      });
    }
  }
  return { owner, root, dependents: pods };
}
