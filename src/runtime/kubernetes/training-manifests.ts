/**
 * Pure generator: a TrainingJob → a headless Service (the root, for rendezvous DNS) and one
 * Pod per replica owned by it, each with the same rendezvous env as on the local runtime.
 */
import { resourceRequirements, type ManifestSet, type PodToleration, type ReplicaResources } from './inference-manifests.js';
import { dnsLabel, LABELS, managedLabels, type CapstanOwner, type Manifest } from './managed-labels.js';
import { defaultPort, rendezvousEnv, replicaPodName, type Framework } from './rendezvous-env.js';

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
  framework: Framework;
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
  const port = input.port ?? defaultPort(input.framework);
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
      const podName = replicaPodName(input.name, r.role, i);
      const env = { ...(r.env ?? {}), ...rendezvousEnv(input.name, service, input.framework, roles, r.role, i, port) };
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
            },
          ],
        },
      });
    }
  }
  return { owner, root, dependents: pods };
}
