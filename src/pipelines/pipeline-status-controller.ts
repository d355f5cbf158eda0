/**
 * Keeps a Pipeline's status (newest version, how many) and applies per-project run retention:
 * a project annotated `capstan.dev/pipeline-runs-retained: "N"` keeps its newest N finished runs.
 */
import { PIPELINE_LABEL, PipelineKind, PipelineRunKind, PipelineVersionKind } from '../api/kinds/pipeline-kinds.js';
import { ProjectKind } from '../api/kinds/project.js';
import type { PipelineRunStatus } from '../api/kinds/pipeline-schemas.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import type { Reconciler } from '../controllers/runtime/controller.js';
import { splitKey } from '../controllers/runtime/informer.js';

/** Annotation on a Project: how many finished PipelineRuns it keeps. */
export const RUN_RETENTION_ANNOTATION = 'capstan.dev/pipeline-runs-retained';

const FINISHED = new Set(['Succeeded', 'Failed', 'Cancelled']);
const newestFirst = (a: KubeObject, b: KubeObject) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || Number(b.metadata.resourceVersion) - Number(a.metadata.resourceVersion);

/** Reconciles a Pipeline's status from its versions. */
export class PipelineStatusController implements Reconciler {
  readonly name = 'pipeline-status';

  constructor(private readonly client: LocalClient) {}

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const p = await this.client.tryGet(PipelineKind, namespace, name);
    if (!p || p.metadata.deletionTimestamp) return;
    const versions = (await this.client.list(PipelineVersionKind, { namespace, labelSelector: `${PIPELINE_LABEL}=${name}` })).items.sort(newestFirst);
    const status = { ...((p.status ?? {}) as object), versions: versions.length, ...(versions[0] ? { latestVersion: versions[0].metadata.name } : {}) };
    if (JSON.stringify(status) === JSON.stringify(p.status ?? {})) return;
    await this.client.updateStatus(PipelineKind, { ...p, status });
  }
}

/** Deletes a project's oldest finished runs beyond its retention annotation. */
export async function applyRunRetention(client: LocalClient, namespace: string): Promise<number> {
  const project = await client.tryGet(ProjectKind, undefined, namespace);
  const keep = Number(project?.metadata.annotations?.[RUN_RETENTION_ANNOTATION]);
  if (!Number.isInteger(keep) || keep < 0) return 0;
  const finished = (await client.list(PipelineRunKind, { namespace })).items.filter((r) => FINISHED.has((r.status as PipelineRunStatus | undefined)?.phase ?? '') && !r.metadata.deletionTimestamp).sort(newestFirst);
  let n = 0;
  for (const r of finished.slice(keep)) {
    await client.delete(PipelineRunKind, namespace, r.metadata.name).catch(() => undefined);
    n++;
  }
  return n;
}
