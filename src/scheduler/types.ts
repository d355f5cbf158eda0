// Plain-data types of the scheduling core's snapshot and decisions.
// Field names mirror Kueue's spec fields (kueue.x-k8s.io/v1beta1) so the API layer maps
// ClusterQueue/LocalQueue/ResourceFlavor/Workload onto them one to one; `spec` is flattened
// into the object next to `name`. Quantities are already-parsed integers (see quantity.ts):
// cpu in millicores, memory in bytes, everything else in counts. Times are epoch milliseconds.

/** Resource name → integer amount (cpu millicores, memory bytes, others counts). */
export type ResourceList = Record<string, number>;

/** Kubernetes taint on a node or declared by a ResourceFlavor. */
export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** Kubernetes toleration. */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** Kubernetes label selector (matchLabels + matchExpressions). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** Kueue ResourceFlavor: which nodes a flavor means (labels, taints) and tolerations it adds to pods. */
export interface ResourceFlavor {
  name: string;
  nodeLabels?: Record<string, string>;
  nodeTaints?: Taint[];
  tolerations?: Toleration[];
}

/** Quota of one resource within one flavor of a ClusterQueue (Kueue `ResourceQuota`). */
export interface ResourceQuota {
  name: string;
  nominalQuota: number;
  /** Max this queue may borrow above nominal from its cohort; unset = unlimited (cohort permitting). */
  borrowingLimit?: number;
  /** Max of this queue's unused nominal quota others may borrow; unset = all of it. */
  lendingLimit?: number;
}

/** One flavor's quotas inside a resource group (Kueue `FlavorQuotas`). */
export interface FlavorQuotas {
  name: string;
  resources: ResourceQuota[];
}

/** Kueue `ResourceGroup`: resources that must be served by the same flavor, flavors tried in order. */
export interface ResourceGroup {
  coveredResources: string[];
  flavors: FlavorQuotas[];
}

/** Preemption policy values of Kueue. */
export type PreemptionPolicy = 'Never' | 'LowerPriority' | 'LowerOrNewerEqualPriority' | 'Any';

/** Kueue `ClusterQueuePreemption`. */
export interface ClusterQueuePreemption {
  withinClusterQueue?: 'Never' | 'LowerPriority' | 'LowerOrNewerEqualPriority';
  reclaimWithinCohort?: 'Never' | 'LowerPriority' | 'Any';
  borrowWithinCohort?: { policy?: 'Never' | 'LowerPriority'; maxPriorityThreshold?: number };
}

/** Kueue ClusterQueue (spec flattened). */
export interface ClusterQueue {
  name: string;
  /** Which namespaces (Capstan projects) may submit; unset or {} = all. */
  namespaceSelector?: LabelSelector;
  resourceGroups: ResourceGroup[];
  cohort?: string;
  queueingStrategy?: 'StrictFIFO' | 'BestEffortFIFO';
  preemption?: ClusterQueuePreemption;
  fairSharing?: { weight?: number };
  flavorFungibility?: { whenCanBorrow?: 'Borrow' | 'TryNextFlavor'; whenCanPreempt?: 'Preempt' | 'TryNextFlavor' };
  stopPolicy?: 'None' | 'Hold' | 'HoldAndDrain';
}

/** Kueue LocalQueue: a namespaced name pointing at a ClusterQueue. */
export interface LocalQueue {
  namespace: string;
  name: string;
  clusterQueue: string;
}

/** Kueue WorkloadPriorityClass. */
export interface WorkloadPriorityClass {
  name: string;
  value: number;
}

/** A group of identical pods in a workload (Kueue `PodSet`, template flattened to per-pod requests). */
export interface PodSet {
  name: string;
  count: number;
  /** Requests of ONE pod (sum over its containers). */
  requests: ResourceList;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
}

/** Where one pod of a podSet runs and which GPUs it got (Capstan extension of Kueue's assignment). */
export interface PodPlacement {
  node: string;
  /** Concrete GPU indices on that node; empty when the pod asks for no GPUs. */
  gpus: number[];
}

/** Kueue `PodSetAssignment` plus Capstan's node/GPU placement. */
export interface PodSetAssignment {
  name: string;
  /** resource name → flavor name. */
  flavors: Record<string, string>;
  /** Total usage of the podSet (count × per-pod requests). */
  resourceUsage: ResourceList;
  count: number;
  placements?: PodPlacement[];
}

/** Kueue `Admission`. */
export interface Admission {
  clusterQueue: string;
  podSetAssignments: PodSetAssignment[];
}

/** Kueue Workload (spec flattened) with the status fields the scheduler reads. */
export interface Workload {
  namespace: string;
  name: string;
  /** LocalQueue name in `namespace`. */
  queueName: string;
  podSets: PodSet[];
  /** Resolved priority; when unset, `priorityClassName` is looked up, else 0. */
  priority?: number;
  priorityClassName?: string;
  creationTimestamp: number;
  /** Declared run time (ms), e.g. from a TrainingJob's activeDeadlineSeconds or the trace. */
  expectedDurationMs?: number;
  /** Absolute deadline (ms) after which the workload will be stopped. */
  deadline?: number;
  status?: {
    admission?: Admission;
    /** When quota was reserved; used for "most recently admitted first" preemption order and ETAs. */
    admittedAt?: number;
    /** Eviction already requested (preempted, waiting for pods to stop). Still holds quota. */
    evicting?: boolean;
  };
}

/** A node the scheduler may place pods on. */
export interface Node {
  name: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  allocatable: ResourceList;
  /** Cordoned: keeps running pods, takes no new ones. */
  unschedulable?: boolean;
  /** false = failed/NotReady: its workloads are evicted and requeued. Default true. */
  ready?: boolean;
}

/** Everything the core needs for one admission cycle. */
export interface SchedulerSnapshot {
  resourceFlavors: ResourceFlavor[];
  clusterQueues: ClusterQueue[];
  localQueues: LocalQueue[];
  priorityClasses?: WorkloadPriorityClass[];
  /** Namespace (project) labels, for ClusterQueue.namespaceSelector. */
  namespaces?: Record<string, Record<string, string>>;
  nodes: Node[];
  /** Pending and admitted workloads. */
  workloads: Workload[];
}

/**
 * Placement scoring: pack nodes full, spread load, keep a gang on as few nodes as possible, the first
 * node by index with room, the node left fullest / emptiest over every resource (scanning all), or
 * the least GPU fragmentation for the workload mix (see fragmentation.ts).
 */
export type PlacementStrategy = 'binpack' | 'spread' | 'topology' | 'firstfit' | 'bestfit' | 'worstfit' | 'fgd';

/** Order inside a ClusterQueue: Kueue's priority-then-FIFO, plain FIFO, or shortest-declared-job-first. */
export type QueueOrder = 'priority' | 'fifo' | 'sjf';

/** Knobs of one admission cycle. */
export interface ScheduleOptions {
  placement?: PlacementStrategy;
  queueOrder?: QueueOrder;
  /** Order ClusterQueue heads by weighted dominant resource share and preempt by share (Kueue fair sharing). */
  fairSharing?: boolean;
  /** Allow preemption at all (the ClusterQueue policies still apply). Default true. */
  preemption?: boolean;
  /** BestEffortFIFO: how many workloads per queue may be tried after the head fails. Default 1000. */
  lookahead?: number;
  /** Learned mean run time (ms) per ClusterQueue name, used for ETAs when a workload declares none. */
  meanDurationMs?: Record<string, number>;
  /** Compute pending reasons/positions/ETAs. Default true. */
  explain?: boolean;
  /** Name of the GPU extended resource whose indices are assigned. Default nvidia.com/gpu. */
  gpuResource?: string;
  /**
   * Resource of a shared GPU slice in milli-GPU (1–999 per pod, on ONE device shared with other
   * slices). Default capstan.dev/gpu-milli. Nodes offer 1000 per GPU unless they declare it.
   */
  gpuMilliResource?: string;
}

/** Stable reason codes for a pending workload (Kueue-style PascalCase). */
export type PendingReasonCode =
  | 'QuotaExceeded'
  | 'NoNodeFits'
  | 'Preempting'
  | 'WaitingInQueue'
  | 'QueueNotFound'
  | 'NamespaceNotAllowed'
  | 'ClusterQueueStopped'
  | 'Inadmissible'
  | 'NotYetConsidered';

/** One admitted workload. */
export interface AdmissionDecision {
  namespace: string;
  name: string;
  admission: Admission;
  /** Whether admitting it borrows quota from the cohort. */
  borrowing: boolean;
}

/** One workload to evict because a preemptor needs its resources. */
export interface PreemptionDecision {
  namespace: string;
  name: string;
  clusterQueue: string;
  preemptor: { namespace: string; name: string };
  reason: 'InClusterQueue' | 'InCohortReclamation' | 'InCohortReclaimWhileBorrowing' | 'InCohortFairSharing';
  message: string;
}

/** One workload to evict and requeue because a node it runs on failed. */
export interface EvictionDecision {
  namespace: string;
  name: string;
  reason: 'NodeFailure';
  message: string;
}

/** Why a workload still waits, where it stands, and when it may start. */
export interface PendingInfo {
  namespace: string;
  name: string;
  clusterQueue?: string;
  /** 1-based position in its ClusterQueue's order. */
  position: number;
  reason: PendingReasonCode;
  message: string;
  /** Estimated start (epoch ms) when running work's ends are known; absent when unknown. */
  estimatedStart?: number;
}

/** Result of one admission cycle. */
export interface ScheduleDecisions {
  admissions: AdmissionDecision[];
  preemptions: PreemptionDecision[];
  evictions: EvictionDecision[];
  pending: PendingInfo[];
}
