// Mutable working structures of the core, built from a snapshot. Dense numeric arrays indexed by
// flavor×resource keep the hot path free of string hashing.
import type { VictimSearchFailure } from './preemption.js';
import type { NodeBucket } from './node-index.js';
import type { WorkloadMix } from './fragmentation.js';
import type { ClusterQueue, Node, PodSet, Taint, Toleration, Workload, ScheduleOptions } from './types.js';

/** A (resource index, amount) pair; requests are kept sparse because pods name 2–4 resources. */
export type SparseReq = [resIdx: number, amount: number][];

/** Trie node of podSet shapes (see state.ts). */
export interface ShapeTrie { next: Map<number, ShapeTrie>; leaf?: unknown }

/** A flavor as the core sees it. */
export interface FlavorInfo {
  idx: number;
  name: string;
  nodeLabels?: Record<string, string>;
  nodeTaints?: Taint[];
  tolerations?: Toleration[];
  /** Referenced by a ClusterQueue but not defined: never eligible. */
  missing: boolean;
}

/** Per-cohort lending pool per flavor×resource key. */
export interface CohortState {
  name: string;
  members: CQState[];
  /** Σ lendable quota of members. */
  pool: Float64Array;
  /** Σ max(0, usage − guaranteed) of members: how much of the pool is taken. */
  poolUsage: Float64Array;
  /** Σ lendable per resource across flavors (fair-sharing denominators). */
  lendablePerResource: Float64Array;
}

/** A ClusterQueue's quota and queue. */
export interface CQState {
  idx: number;
  name: string;
  spec: ClusterQueue;
  cohort?: CohortState;
  /** Resource groups as indices: which resources, which flavors in order. */
  groups: { resources: number[]; flavors: number[] }[];
  /** resource index → group index (−1 when not covered). */
  groupOfResource: Int32Array;
  has: Uint8Array;
  /** Keys with quota defined (has = 1), for loops that must not walk every flavor × resource. */
  quotaKeys: number[];
  nominal: Float64Array;
  borrowLimit: Float64Array;
  lendable: Float64Array;
  usage: Float64Array;
  /** The last victim search of this queue that failed, and on which state version (see cycle.ts). */
  lastFailedSearch: { ws: WlState; version: number; explain: boolean; result: VictimSearchFailure } | undefined;
  /** Pending workloads in queue order; admitted entries are compacted out after a cycle. */
  pending: WlState[];
  pendingDirty: boolean;
  /** Admitted workloads (preemption candidates, ETA sources). */
  admittedSet: Set<WlState>;
  weight: number;
  strict: boolean;
  stopped: boolean;
}

/** One pod's placement inside the working state. */
export interface PodAlloc {
  node: NodeState;
  gpus: number[];
}

/** One admitted podSet: flavor per resource and usage keys. */
export interface PodSetAdmission {
  flavorOfResource: Map<number, number>;
  /** (flavor×resource key, amount) consumed in the CQ. */
  usage: [key: number, amount: number][];
  pods: PodAlloc[];
}

/** Parsed podSet. */
export interface PodSetState {
  spec: PodSet;
  count: number;
  req: SparseReq;
  gpuPerPod: number;
  /** Signature of count × per-pod requests + selectors: equal shapes place alike. */
  shape: string;
  /** Interned `shape`. */
  shapeId: number;
}

/** A workload in the working state. */
export interface WlState {
  wl: Workload;
  seq: number;
  cq?: CQState;
  /** Why it cannot be queued at all (missing LocalQueue, namespace not allowed). */
  unqueuedReason?: { code: 'QueueNotFound' | 'NamespaceNotAllowed'; message: string };
  priority: number;
  created: number;
  durationMs?: number;
  podSets: PodSetState[];
  admitted?: PodSetAdmission[];
  admittedAt?: number;
  evicting: boolean;
  /** Interned signature of all podSets' shapes: equal shapes in one queue fare alike within a cycle. */
  shapeId: number;
  /** Evicted by a node failure in this cycle; waits one cycle before re-admission. */
  requeuedFromFailure?: string;
  /** Scratch for the current cycle. */
  cycleReason?: { code: string; message: string };
  cycleAdmitted: boolean;
}

/** A node in the working state. */
export interface NodeState {
  idx: number;
  name: string;
  spec: Node;
  alloc: Float64Array;
  free: Float64Array;
  /** Whole GPUs free (indices, sorted): devices with all their milli-GPU free. */
  gpuFree: number[];
  /** Free milli-GPU per device (1000 = whole GPU free). */
  devFree: Int32Array;
  /** Index of the milli-GPU resource (−1 when the state has none). */
  milliRes: number;
  /** What-if copies of `free` / `devFree` for the victim search, valid while `scratchEpoch` is the search's. */
  scratchFree: Float64Array | undefined;
  scratchDev: Int32Array | undefined;
  scratchEpoch: number;
  usable: boolean;
  ready: boolean;
  pools: Pool[];
  gpuBucket: number;
  cpuBucket: number;
}

/** Nodes eligible for one combination of flavors, bucketed by free GPUs and free whole cores. */
export interface Pool {
  key: string;
  nodes: NodeState[];
  gpuBuckets: NodeBucket[];
  cpuBuckets: NodeBucket[];
}

/** The whole working state one or many admission cycles run on. */
export interface SchedulerState {
  options: Required<Omit<ScheduleOptions, 'meanDurationMs'>> & { meanDurationMs: Record<string, number> };
  resources: string[];
  resIdx: Map<string, number>;
  gpuRes: number;
  /** Index of the milli-GPU (shared GPU slice) resource, −1 when none is used. */
  milliRes: number;
  cpuRes: number;
  flavors: FlavorInfo[];
  flavorIdx: Map<string, number>;
  /** Number of resources R; quota keys are flavor × R + resource. */
  R: number;
  cqs: CQState[];
  cqByName: Map<string, CQState>;
  cohorts: Map<string, CohortState>;
  /** namespace → LocalQueue name → ClusterQueue name. */
  localQueues: Map<string, Map<string, string>>;
  namespaces: Record<string, Record<string, string>>;
  priorityClasses: Map<string, number>;
  nodes: NodeState[];
  nodeByName: Map<string, NodeState>;
  /** Cordoned or NotReady nodes (for pending messages only). */
  unusableNodes: NodeState[];
  /** `pool key|podSet shapeId` → why the podSet can never be placed there, or null when it can (see diagnose.ts). */
  neverFit: Map<string, string | null>;
  pools: Map<string, Pool>;
  maxGpuBucket: number;
  maxCpuBucket: number;
  /** namespace → name → workload (complete once `unindexed` is folded in by findWorkload). */
  workloads: Map<string, Map<string, WlState>>;
  /** Workloads added since the index was last brought up to date. */
  unindexed: WlState[];
  /**
   * Bumped whenever what a victim search sees changes (an admission, a release, a reservation or
   * eviction, the end of a cycle that admitted): a failed search is reused while it is unchanged.
   */
  version: number;
  /** Epoch of the nodes' what-if copies (see preemption.ts). */
  scratchEpoch: number;
  /** Reuse failed victim searches on an unchanged state (off only in tests comparing against the full search). */
  searchMemo: boolean;
  unqueued: WlState[];
  pendingEvictions: { wl: WlState; message: string }[];
  seq: number;
  /** Workload and podSet shape signatures → small integers. */
  shapeIds: Map<string, number>;
  /** Numeric trie over (count, resource, amount…) to the parsed shape of selector-free podSets. */
  shapeTrie: ShapeTrie;
  /** Flavor combos per (podSet shape, queue): see flavor-assign.ts. */
  staticCombos: Map<number, unknown>;
  /** Pod shapes asking for GPUs seen so far, for fragmentation-aware placement (fragmentation.ts). */
  mix: WorkloadMix;
  /** Scratch per-device array for fragmentation scores. */
  scratchDev: Int32Array;
  /** Scratch array of length R (avoids allocating in hot loops). */
  scratchR: Float64Array;
}
