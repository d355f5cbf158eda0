/**
 * Pure: a TrainingJob spec → the processes to start, each with its command line, working
 * directory, log file and full environment (base env, the template's env, rendezvous env).
 */
import type { TrainingJobSpec } from '../api/kinds/training-job-schema.js';
import type { JobFiles } from './job-files.js';
import type { JobLaunchPlan, PlannedReplica } from './local-job-runtime.js';
import { rendezvousEnv, replicasOf, type RoleCount } from '../runtime/rendezvous-env.js';

/** What the plan depends on besides the spec. */
export interface LaunchPlanInput {
  namespace: string;
  name: string;
  uid: string;
  spec: TrainingJobSpec;
  files: JobFiles;
  ports: Record<string, number>;
  gpus?: Record<string, number[]>;
  /** Environment every replica inherits (PATH, HOME, ...), chosen by the caller. */
  baseEnv: Record<string, string>;
  /** Working directory when the template names none. */
  defaultCwd: string;
}

/** The roles of a spec in declared order. */
export function rolesOf(spec: TrainingJobSpec): RoleCount[] {
  return Object.entries(spec.replicaSpecs).map(([role, r]) => ({ role, replicas: r.replicas }));
}

// Frameworks size their thread pools by the machine's cores; several replicas on one machine would
// oversubscribe it, so each gets threads for the CPUs it asked for.
function threadsFor(cpu: string | number | undefined): string {
  if (cpu === undefined) return '1';
  const n = typeof cpu === 'number' ? cpu : cpu.endsWith('m') ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
  return String(Math.max(1, Math.floor(Number.isFinite(n) ? n : 1)));
}

/** Builds the launch plan of a job instance. */
export function buildLaunchPlan(input: LaunchPlanInput): JobLaunchPlan {
  const roles = rolesOf(input.spec);
  const replicas: PlannedReplica[] = replicasOf(roles).map((r) => {
    const rs = input.spec.replicaSpecs[r.role]!;
    const tpl = rs.template;
    const env: Record<string, string> = {
      ...input.baseEnv,
      OMP_NUM_THREADS: threadsFor(tpl.resources?.cpu),
      PYTHONUNBUFFERED: '1',
      ...Object.fromEntries((tpl.env ?? []).map((e) => [e.name, e.value])),
      ...rendezvousEnv(
        { job: input.name, namespace: input.namespace, framework: input.spec.framework, roles, ports: input.ports, gpus: input.gpus ?? {}, metricsFile: input.files.metricsFile, outputDir: input.files.outputDir },
        r,
      ),
    };
    const command = [...(tpl.command ?? []), ...(tpl.args ?? [])];
    const base = { role: r.role, index: r.index, restartPolicy: rs.restartPolicy, metricsFile: input.files.metricsFile(r) };
    if (!tpl.command || tpl.command.length === 0) {
      return { ...base, unrunnable: `replicaSpecs.${r.role}.template.command is empty: the local runtime runs a command, not an image${tpl.image ? ` (${tpl.image})` : ''}` };
    }
    return { ...base, launch: { command, env, cwd: tpl.workingDir ?? input.defaultCwd, logFile: input.files.logFile(r) } };
  });
  return { key: `${input.namespace}/${input.name}`, uid: input.uid, backoffLimit: input.spec.runPolicy.backoffLimit, replicas, seriesFile: input.files.seriesFile };
}
