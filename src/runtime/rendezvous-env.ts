/**
 * Pure: the environment every replica of a training job gets, on every compute target (the one
 * implementation: issue 19). PyTorch's env:// init (MASTER_ADDR/PORT, WORLD_SIZE, RANK,
 * LOCAL_RANK), TensorFlow's TF_CONFIG, the GPUs the queue assigned, and Capstan's own variables.
 * Only the addresses differ: locally 127.0.0.1 with ports the driver chose; on a cluster
 * `<pod>.<headless service>` with the framework's port (`clusterRendezvous`).
 */
import type { TrainingFramework } from '../api/kinds/training-job-schema.js';

/** A role and how many replicas it has, in the job's declared order. */
export interface RoleCount {
  role: string;
  replicas: number;
}

/** One replica: its role and index within the role. */
export interface ReplicaRef {
  role: string;
  index: number;
}

/** Everything the env depends on. */
export interface RendezvousInput {
  job: string;
  namespace: string;
  framework: TrainingFramework;
  roles: RoleCount[];
  /** Port of each replica that listens, by `replicaKey` (see `portsNeeded`). */
  ports: Record<string, number>;
  /** The host a listening replica is reached at; default 127.0.0.1 (this machine). */
  host?: (r: ReplicaRef) => string;
  /**
   * GPU indices assigned to each replica by the admission, by `replicaKey`. Given (even empty),
   * CUDA_VISIBLE_DEVICES is set (an unassigned replica sees none); undefined leaves it to the
   * target (a cluster's device plugin sets it).
   */
  gpus?: Record<string, number[]>;
  /** Where the replica appends metrics as JSON lines. */
  metricsFile: (r: ReplicaRef) => string;
  /** The job's output directory (shared by all replicas locally; per pod on a cluster). */
  outputDir: string;
}

/** Default rendezvous port on a cluster (PyTorch's customary 23456; TensorFlow's 2222). */
export function defaultClusterPort(framework: TrainingFramework): number {
  return framework === 'tensorflow' ? 2222 : 23456;
}

/** A replica's pod name on a cluster: `<job>-<role>-<index>`, lowercase. */
export function replicaPodName(job: string, r: ReplicaRef): string {
  return `${job}-${replicaKey(r)}`;
}

/** Ports and hosts on a cluster: every listening replica on `port`, reached as `<pod>.<service>`. */
export function clusterRendezvous(job: string, service: string, framework: TrainingFramework, roles: RoleCount[], port = defaultClusterPort(framework)): Pick<RendezvousInput, 'ports' | 'host'> {
  return {
    ports: Object.fromEntries(portsNeeded(framework, roles).map((r) => [replicaKey(r), port])),
    host: (r) => `${replicaPodName(job, r)}.${service}`,
  };
}

/** The host every local replica is reachable on. */
export const LOCAL_HOST = '127.0.0.1';

/** `role-index`, lowercase: names log files, ports and GPU assignments. */
export function replicaKey(r: ReplicaRef): string {
  return `${r.role.toLowerCase()}-${r.index}`;
}

/** Every replica of the job, roles in declared order. */
export function replicasOf(roles: RoleCount[]): ReplicaRef[] {
  return roles.flatMap((r) => Array.from({ length: r.replicas }, (_, index) => ({ role: r.role, index })));
}

const TORCH_RANKED = ['master', 'worker'];
// TensorFlow's evaluator watches checkpoints; it never joins the cluster's collectives.
const TF_OUTSIDE_CLUSTER = ['evaluator'];

/** The replicas that need a listening port: PyTorch's rank 0, every TensorFlow cluster member. */
export function portsNeeded(framework: TrainingFramework, roles: RoleCount[]): ReplicaRef[] {
  if (framework === 'pytorch') {
    const first = torchOrder(roles)[0];
    return first ? [first] : [];
  }
  if (framework === 'tensorflow') return replicasOf(roles).filter((r) => !TF_OUTSIDE_CLUSTER.includes(r.role.toLowerCase()));
  return [];
}

// Ranks go to the Master first, then Workers in index order (Kubeflow's PyTorchJob convention).
function torchOrder(roles: RoleCount[]): ReplicaRef[] {
  const sorted = [...roles].filter((r) => TORCH_RANKED.includes(r.role.toLowerCase())).sort((a, b) => TORCH_RANKED.indexOf(a.role.toLowerCase()) - TORCH_RANKED.indexOf(b.role.toLowerCase()));
  return replicasOf(sorted);
}

function hostOf(input: RendezvousInput, r: ReplicaRef): string {
  return input.host ? input.host(r) : LOCAL_HOST;
}

function port(input: RendezvousInput, r: ReplicaRef): number {
  const p = input.ports[replicaKey(r)];
  if (p === undefined) throw new Error(`no port assigned to ${replicaKey(r)}`);
  return p;
}

/** The PyTorch env:// variables of a replica. */
export function pytorchEnv(input: RendezvousInput, r: ReplicaRef): Record<string, string> {
  const order = torchOrder(input.roles);
  const rank = order.findIndex((x) => x.role === r.role && x.index === r.index);
  const master = order[0];
  if (!master) return {};
  return {
    MASTER_ADDR: hostOf(input, master),
    MASTER_PORT: String(port(input, master)),
    WORLD_SIZE: String(order.length),
    ...(rank >= 0 ? { RANK: String(rank) } : {}),
    LOCAL_RANK: '0',
    LOCAL_WORLD_SIZE: '1',
  };
}

/** The TF_CONFIG object of a replica: the whole cluster and this replica's task. */
export function tfConfig(input: RendezvousInput, r: ReplicaRef): { cluster: Record<string, string[]>; task: { type: string; index: number }; environment: 'cloud' } {
  const cluster: Record<string, string[]> = {};
  for (const role of input.roles) {
    const type = role.role.toLowerCase();
    if (TF_OUTSIDE_CLUSTER.includes(type)) continue;
    cluster[type] = Array.from({ length: role.replicas }, (_, index) => `${hostOf(input, { role: role.role, index })}:${port(input, { role: role.role, index })}`);
  }
  return { cluster, task: { type: r.role.toLowerCase(), index: r.index }, environment: 'cloud' };
}

/** The full rendezvous and Capstan env of one replica. */
export function rendezvousEnv(input: RendezvousInput, r: ReplicaRef): Record<string, string> {
  const env: Record<string, string> = {
    CAPSTAN_JOB: input.job,
    CAPSTAN_NAMESPACE: input.namespace,
    CAPSTAN_ROLE: r.role.toLowerCase(),
    CAPSTAN_INDEX: String(r.index),
    CAPSTAN_METRICS_FILE: input.metricsFile(r),
    CAPSTAN_OUTPUT_DIR: input.outputDir,
  };
  // An empty list hides every GPU, which is what a replica without an assignment must see.
  if (input.gpus) env.CUDA_VISIBLE_DEVICES = (input.gpus[replicaKey(r)] ?? []).join(',');
  if (input.framework === 'pytorch') Object.assign(env, pytorchEnv(input, r));
  else if (input.framework === 'tensorflow') env.TF_CONFIG = JSON.stringify(tfConfig(input, r));
  return env;
}
