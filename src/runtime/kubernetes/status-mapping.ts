/**
 * Pure: what the cluster's Deployments, Pods and Jobs say, turned into Capstan's words: ready
 * replicas, phases, and the real failure reasons (ImagePullBackOff, Unschedulable, OOMKilled,
 * CrashLoopBackOff) with the cluster's own message.
 */
import { LABELS } from './managed-labels.js';
import type { KubeJson } from './kube-api.js';

/** A failure seen on a pod, in the cluster's own words. */
export interface PodFailure {
  reason: string;
  message: string;
  pod: string;
}

/** Reasons that mean "will not get better by waiting" vs transient ones Kubernetes retries itself. */
const WAITING_FAILURES = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError']);

interface ContainerStatus {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; message?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; message?: string; exitCode?: number } };
}

interface PodStatus {
  phase?: string;
  reason?: string;
  message?: string;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

/** The most telling failure of a pod, or undefined when it is fine or merely starting. */
export function podFailure(pod: KubeJson): PodFailure | undefined {
  const st = (pod.status ?? {}) as PodStatus;
  const name = pod.metadata.name;
  const all = [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])];
  for (const c of all) {
    const w = c.state?.waiting;
    if (w?.reason && WAITING_FAILURES.has(w.reason)) {
      // CrashLoopBackOff says little by itself; the last termination says why (often OOMKilled).
      const last = c.lastState?.terminated;
      if (w.reason === 'CrashLoopBackOff' && last?.reason === 'OOMKilled') return { reason: 'OOMKilled', message: `container ${c.name} was killed for exceeding its memory limit (restarted ${c.restartCount ?? 0} times)`, pod: name };
      const detail = w.message ?? (last ? `last exit code ${last.exitCode ?? '?'}${last.reason ? ` (${last.reason})` : ''}` : '');
      return { reason: w.reason === 'ErrImagePull' ? 'ImagePullBackOff' : w.reason, message: `container ${c.name}: ${detail || w.reason}`, pod: name };
    }
    const t = c.state?.terminated;
    if (t?.reason === 'OOMKilled') return { reason: 'OOMKilled', message: `container ${c.name} was killed for exceeding its memory limit`, pod: name };
  }
  const sched = st.conditions?.find((c) => c.type === 'PodScheduled');
  if (sched?.status === 'False' && sched.reason === 'Unschedulable') return { reason: 'Unschedulable', message: sched.message ?? 'no node fits the pod', pod: name };
  if (st.phase === 'Failed') {
    const t = st.containerStatuses?.find((c) => c.state?.terminated && c.state.terminated.exitCode !== 0)?.state?.terminated;
    return { reason: st.reason ?? t?.reason ?? 'Failed', message: st.message ?? t?.message ?? `exit code ${t?.exitCode ?? '?'}`, pod: name };
  }
  return undefined;
}

/** True when a pod's Ready condition is True. */
export function podReady(pod: KubeJson): boolean {
  return ((pod.status ?? {}) as PodStatus).conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** One revision's state on the cluster. */
export interface RevisionObservation {
  revision: string;
  desiredReplicas: number;
  readyReplicas: number;
  failure?: PodFailure;
}

/** Ready/desired per revision from Deployments, with the first pod failure of each. */
export function observeInference(deployments: KubeJson[], pods: KubeJson[]): RevisionObservation[] {
  return deployments
    .filter((d) => !d.metadata.deletionTimestamp)
    .map((d) => {
      const revision = d.metadata.labels?.[LABELS.revision] ?? d.metadata.name;
      const spec = (d.spec ?? {}) as { replicas?: number };
      const st = (d.status ?? {}) as { readyReplicas?: number; conditions?: { type?: string; status?: string; reason?: string; message?: string }[] };
      const mine = pods.filter((p) => p.metadata.labels?.[LABELS.revision] === revision);
      // No pod at all can fail: the ReplicaSet could not create them (quota, admission webhooks,
      // a missing service account). The Deployment carries the apiserver's refusal as ReplicaFailure.
      const failure = mine.map(podFailure).find((f) => f !== undefined) ?? deploymentFailure(d.metadata.name, st.conditions);
      return { revision, desiredReplicas: spec.replicas ?? 1, readyReplicas: st.readyReplicas ?? 0, ...(failure ? { failure } : {}) };
    })
    .sort((a, b) => a.revision.localeCompare(b.revision));
}

/** Per-role counts and the job's phase from its replica pods. */
export interface TrainingObservation {
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  roles: Record<string, { active: number; succeeded: number; failed: number; restarts: number }>;
  failure?: PodFailure;
}

/** Observes a training job: Succeeded when every pod did, Failed on the first failed pod. */
export function observeTraining(pods: KubeJson[], expectedPods: number): TrainingObservation {
  const roles: TrainingObservation['roles'] = {};
  let running = 0;
  let succeeded = 0;
  let failed = 0;
  let failure: PodFailure | undefined;
  for (const p of pods) {
    const role = p.metadata.labels?.[LABELS.role] ?? 'replica';
    const r = (roles[role] ??= { active: 0, succeeded: 0, failed: 0, restarts: 0 });
    const st = (p.status ?? {}) as PodStatus;
    r.restarts += (st.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
    const f = podFailure(p);
    if (st.phase === 'Succeeded') {
      r.succeeded++;
      succeeded++;
    } else if (st.phase === 'Failed') {
      r.failed++;
      failed++;
      failure ??= f;
    } else {
      r.active++;
      if (st.phase === 'Running') running++;
      failure ??= f;
    }
  }
  const phase = failed > 0 ? 'Failed' : expectedPods > 0 && succeeded === expectedPods ? 'Succeeded' : running > 0 ? 'Running' : 'Pending';
  return { phase, roles, ...(failure ? { failure } : {}) };
}

/** A batch/v1 Job's phase. */
export function observeJob(job: KubeJson): 'Pending' | 'Running' | 'Succeeded' | 'Failed' {
  const st = (job.status ?? {}) as { active?: number; succeeded?: number; conditions?: { type?: string; status?: string }[] };
  if (st.conditions?.some((c) => (c.type === 'Complete' || c.type === 'SuccessCriteriaMet') && c.status === 'True')) return 'Succeeded';
  if (st.conditions?.some((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True')) return 'Failed';
  return (st.active ?? 0) > 0 ? 'Running' : 'Pending';
}

/** A replica's state on a cluster, in the compute-target vocabulary (src/runtime/compute-target.ts). */
export interface PodReplicaState {
  role: string;
  index: number;
  state: 'starting' | 'running' | 'restarting' | 'succeeded' | 'failed' | 'stopped';
  restarts: number;
  reason?: string;
  message?: string;
}

/**
 * A training pod as a replica state: Pending → starting (with the reason it waits, e.g.
 * ImagePullBackOff or Unschedulable), Running → running (restarting while the kubelet backs off a
 * crashed container), Succeeded, Failed (with the cluster's reason), terminating → stopped.
 */
export function podReplicaState(pod: KubeJson): PodReplicaState {
  const st = (pod.status ?? {}) as PodStatus;
  const role = pod.metadata.labels?.[LABELS.role] ?? 'replica';
  const index = Number(pod.metadata.labels?.[LABELS.index] ?? 0);
  const restarts = (st.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0);
  const f = podFailure(pod);
  const why = f ? { reason: f.reason, message: f.message } : {};
  if (pod.metadata.deletionTimestamp) return { role, index, state: 'stopped', restarts, ...why };
  if (st.phase === 'Succeeded') return { role, index, state: 'succeeded', restarts };
  if (st.phase === 'Failed') return { role, index, state: 'failed', restarts, reason: f?.reason ?? 'Failed', message: f?.message ?? 'the pod failed' };
  if (st.phase === 'Running') {
    const crashed = (st.containerStatuses ?? []).some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff');
    return { role, index, state: crashed ? 'restarting' : 'running', restarts, ...why };
  }
  return { role, index, state: 'starting', restarts, ...why };
}

/** A Deployment's ReplicaFailure (FailedCreate: the apiserver refused its pods) or stalled rollout, in the cluster's words. */
export function deploymentFailure(name: string, conditions: { type?: string; status?: string; reason?: string; message?: string }[] | undefined): PodFailure | undefined {
  const rf = conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (rf) return { reason: rf.reason ?? 'FailedCreate', message: rf.message ?? 'the cluster refused to create the pods', pod: name };
  const pr = conditions?.find((c) => c.type === 'Progressing' && c.status === 'False');
  if (pr) return { reason: pr.reason ?? 'ProgressDeadlineExceeded', message: pr.message ?? 'the rollout made no progress', pod: name };
  return undefined;
}
