/** Pure generator: one pipeline step → a `batch/v1` Job (the root; its pods are the Job's own). */
import { resourceRequirements, type ManifestSet, type PodToleration, type ReplicaResources } from './inference-manifests.js';
import { dnsLabel, LABELS, managedLabels, type CapstanOwner } from './managed-labels.js';

/** One step of a PipelineRun. */
export interface PipelineStepInput {
  /** The PipelineRun's name and uid: the step's objects belong to the run. */
  run: string;
  uid: string;
  namespace: string;
  step: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  resources?: ReplicaResources;
  /** Retries of the step, as the pipeline says (Job backoffLimit). */
  retries?: number;
  activeDeadlineSeconds?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: PodToleration[];
  priorityClassName?: string;
}

/** Builds the Job of a pipeline step. */
export function pipelineStepManifests(input: PipelineStepInput): ManifestSet {
  const owner: CapstanOwner = { kind: 'PipelineRun', name: input.run, uid: input.uid, namespace: input.namespace };
  const labels = managedLabels(owner, { 'capstan.dev/step': dnsLabel(input.step) });
  return {
    owner,
    root: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: dnsLabel(input.run, input.step), namespace: input.namespace, labels },
      spec: {
        backoffLimit: input.retries ?? 0,
        ...(input.activeDeadlineSeconds ? { activeDeadlineSeconds: input.activeDeadlineSeconds } : {}),
        template: {
          metadata: { labels: { [LABELS.managedBy]: 'capstan', [LABELS.uid]: labels[LABELS.uid], 'capstan.dev/step': labels['capstan.dev/step'] } },
          spec: {
            restartPolicy: 'Never',
            ...(input.priorityClassName ? { priorityClassName: input.priorityClassName } : {}),
            ...(input.nodeSelector && Object.keys(input.nodeSelector).length ? { nodeSelector: input.nodeSelector } : {}),
            ...(input.tolerations?.length ? { tolerations: input.tolerations } : {}),
            containers: [
              {
                name: 'step',
                image: input.image,
                ...(input.command ? { command: input.command } : {}),
                ...(input.args ? { args: input.args } : {}),
                env: Object.entries(input.env ?? {}).map(([name, value]) => ({ name, value })),
                resources: resourceRequirements(input.resources),
              },
            ],
          },
        },
      },
    },
    dependents: [],
  };
}
