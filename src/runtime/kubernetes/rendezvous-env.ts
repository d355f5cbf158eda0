/**
 * Pure: the rendezvous environment each training replica gets, the same on a cluster as
 * locally, only with DNS names of the headless Service instead of 127.0.0.1 ports.
 */

/** One role of a job as far as rendezvous cares. */
export interface RendezvousRole {
  role: string;
  replicas: number;
}

/** Framework conventions: PyTorch's env:// init, TensorFlow's TF_CONFIG, or none. */
export type Framework = 'pytorch' | 'tensorflow' | 'generic';

/** Default rendezvous port (PyTorch's customary 23456; TensorFlow's 2222). */
export function defaultPort(framework: Framework): number {
  return framework === 'tensorflow' ? 2222 : 23456;
}

/** A replica's stable host: `<pod>.<service>` in the job's namespace. */
export function replicaHost(podName: string, service: string): string {
  return `${podName}.${service}`;
}

/** A replica's pod name: `<job>-<role>-<index>`, lowercase. */
export function replicaPodName(job: string, role: string, index: number): string {
  return `${job}-${role.toLowerCase()}-${index}`;
}

// PyTorch ranks the master first, then workers in order; other roles get no rank.
function torchRank(roles: RendezvousRole[], role: string, index: number): number | undefined {
  const master = roles.find((r) => r.role.toLowerCase() === 'master');
  const masters = master ? master.replicas : 0;
  if (role.toLowerCase() === 'master') return index;
  if (role.toLowerCase() === 'worker') return masters + index;
  return undefined;
}

/** The env of replica `index` of `role`; hosts resolve through the headless Service `service`. */
export function rendezvousEnv(job: string, service: string, framework: Framework, roles: RendezvousRole[], role: string, index: number, port = defaultPort(framework)): Record<string, string> {
  const env: Record<string, string> = {
    CAPSTAN_JOB_NAME: job,
    CAPSTAN_REPLICA_TYPE: role.toLowerCase(),
    CAPSTAN_REPLICA_INDEX: String(index),
  };
  if (framework === 'pytorch') {
    const worldSize = roles.filter((r) => ['master', 'worker'].includes(r.role.toLowerCase())).reduce((s, r) => s + r.replicas, 0);
    const first = roles.find((r) => r.role.toLowerCase() === 'master') ?? roles.find((r) => r.role.toLowerCase() === 'worker');
    const masterPod = first ? replicaPodName(job, first.role, 0) : replicaPodName(job, role, 0);
    const rank = torchRank(roles, role, index);
    env.MASTER_ADDR = replicaHost(masterPod, service);
    env.MASTER_PORT = String(port);
    env.WORLD_SIZE = String(worldSize);
    if (rank !== undefined) env.RANK = String(rank);
    env.LOCAL_RANK = '0';
  } else if (framework === 'tensorflow') {
    const cluster: Record<string, string[]> = {};
    // TensorFlow keeps evaluators out of the cluster spec: they never take part in collectives.
    for (const r of roles) {
      const type = r.role.toLowerCase();
      if (type === 'evaluator') continue;
      cluster[type] = Array.from({ length: r.replicas }, (_, i) => `${replicaHost(replicaPodName(job, r.role, i), service)}:${port}`);
    }
    env.TF_CONFIG = JSON.stringify({ cluster, task: { type: role.toLowerCase(), index }, environment: 'cloud' });
  }
  return env;
}
