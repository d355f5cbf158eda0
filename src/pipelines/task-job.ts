/**
 * A container task attempt → the TrainingJob that runs it (one replica, the generic framework),
 * owned by the PipelineRun so it goes through the run's queue and dies with the run. Placeholders
 * are resolved here against the attempt's files; a command that cannot run on this machine is a
 * clear error naming the image.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { ArtifactRef } from '../api/kinds/pipeline-schemas.js';
import type { KubeObject } from '../api/meta.js';
import type { StartTask } from './dag-planner.js';
import { resolvePlaceholders, type PlaceholderValues } from './placeholders.js';
import type { TaskDirs } from './task-files.js';

/** Annotation on a task's TrainingJob naming the task path. */
export const TASK_ANNOTATION = 'capstan.dev/pipeline-task';
/** Label on a task's TrainingJob naming its run. */
export const RUN_LABEL = 'capstan.dev/pipeline-run';
/** Annotation the API server writes with the creating user; copied onto objects made for the run. */
export const CREATED_BY = 'capstan.dev/created-by';

/** The TrainingJob name of a task attempt: stable, so a re-planned start after a crash finds the job it made. */
export function taskJobName(run: string, runUid: string, taskId: string, attempt: number): string {
  const h = createHash('sha256').update(`${runUid}/${taskId}`).digest('hex').slice(0, 10);
  return `${run.slice(0, 36).replace(/[-.]+$/, '')}-${h}-${attempt}`;
}

/** KFP's executor input (`{{$}}`), for components that read their inputs from it. */
export function executorInput(t: StartTask, d: TaskDirs, artifacts: PlaceholderValues['artifacts']): string {
  return JSON.stringify({
    inputs: {
      parameterValues: t.parameters,
      artifacts: Object.fromEntries(Object.entries(artifacts).map(([k, a]) => [k, { artifacts: [{ name: k, uri: a.uri, metadata: a.metadata ?? {} }] }])),
    },
    outputs: {
      parameters: Object.fromEntries(Object.keys(t.task.outputs.parameters).map((k) => [k, { outputFile: d.outputParameter(k) }])),
      artifacts: Object.fromEntries(Object.entries(t.task.outputs.artifacts).map(([k, def]) => [k, { artifacts: [{ name: k, uri: d.outputArtifact(k), type: { schemaTitle: def.schemaTitle }, metadata: {} }] }])),
      outputFile: join(d.root, 'executor_output.json'),
    },
  });
}

/** The local path of a program, or undefined when it cannot run here. */
export function findProgram(cmd: string, path: string | undefined): string | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return isAbsolute(cmd) && ok(cmd) ? cmd : undefined;
  for (const dir of (path ?? '').split(delimiter)) if (dir && ok(join(dir, cmd))) return join(dir, cmd);
  return undefined;
}

/** What a task's TrainingJob is made of. */
export interface TaskJobInput {
  run: KubeObject;
  start: StartTask;
  dirs: TaskDirs;
  queueName: string;
  priorityClassName?: string;
  /** PATH the replicas get (to check the command can run here). */
  path?: string;
}

/** Resolved command line, or the reason the task cannot run locally. */
export function taskCommand(input: TaskJobInput, artifactPaths: Record<string, ArtifactRef | ArtifactRef[]>): { command: string[] } | { error: string } {
  const { start: t, dirs: d, run } = input;
  const artifacts: PlaceholderValues['artifacts'] = {};
  for (const [k, v] of Object.entries(artifactPaths)) {
    const first = Array.isArray(v) ? v[0] : v;
    artifacts[k] = { path: d.inputArtifact(k), uri: Array.isArray(v) ? d.inputArtifact(k) : (first?.uri ?? ''), metadata: first?.metadata };
  }
  const values: PlaceholderValues = {
    parameters: t.parameters,
    artifacts,
    outputParameterFile: d.outputParameter,
    outputArtifactPath: d.outputArtifact,
    executorInput: () => executorInput(t, d, artifacts),
    runName: run.metadata.name,
    runUid: run.metadata.uid,
    taskName: t.task.name,
    taskId: t.id,
  };
  let command: string[];
  try {
    command = [...resolvePlaceholders(t.exec.command, values), ...resolvePlaceholders(t.exec.args, values)];
  } catch (err) {
    return { error: `${(err as Error).message}` };
  }
  if (command.length === 0) return { error: `image ${t.exec.image} cannot run locally: its container has no command (the local runtime runs commands, not images)` };
  if (!findProgram(command[0]!, input.path)) return { error: `image ${t.exec.image} cannot run locally: command ${command[0]} is not on this machine` };
  return { command };
}

/** The TrainingJob manifest of a task attempt. */
export function taskJobManifest(input: TaskJobInput, command: string[]): Record<string, unknown> {
  const { run, start: t } = input;
  const createdBy = run.metadata.annotations?.[CREATED_BY];
  const exec = t.exec;
  return {
    apiVersion: 'capstan.dev/v1alpha1',
    kind: 'TrainingJob',
    metadata: {
      name: taskJobName(run.metadata.name, run.metadata.uid, t.id, t.attempt),
      namespace: run.metadata.namespace,
      labels: { [RUN_LABEL]: run.metadata.name },
      annotations: { [TASK_ANNOTATION]: t.id, ...(createdBy ? { [CREATED_BY]: createdBy } : {}) },
      ownerReferences: [{ apiVersion: run.apiVersion, kind: 'PipelineRun', name: run.metadata.name, uid: run.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      framework: 'generic',
      queueName: input.queueName,
      ...(input.priorityClassName ? { priorityClassName: input.priorityClassName } : {}),
      replicaSpecs: {
        Step: {
          replicas: 1,
          restartPolicy: 'Never',
          template: {
            command: [command[0]!],
            args: command.slice(1),
            env: Object.entries(exec.env).map(([name, value]) => ({ name, value })),
            image: exec.image,
            ...(Object.keys(exec.resources).length ? { resources: exec.resources } : {}),
          },
        },
      },
      runPolicy: { backoffLimit: 0, ...(exec.timeoutSeconds ? { activeDeadlineSeconds: exec.timeoutSeconds } : {}) },
    },
  };
}
