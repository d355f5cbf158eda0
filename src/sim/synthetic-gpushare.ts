// A synthetic GPU-sharing cluster and pod stream shaped like the Alibaba "openb" trace
// (alibaba/clusterdata, cluster-trace-gpu-v2023: openb_node_list_gpu_node.csv and
// openb_pod_list_default.csv, from Weng et al., "Beware of Fragmentation", USENIX ATC 2023).
// NOT the trace itself: there is no network here, so the node types and their counts were read off the
// first 457 rows of the node list, and the pod shapes and their weights off the first 226 rows of the
// default pod list (both through a code-search mirror); pods are then drawn from those weights with
// a seeded PRNG. Shapes are (cpu millicores, memory MiB, whole GPUs, milli-GPU slice).
import { seededRandom } from '../random/seeded-random.js';
import type { Node } from '../scheduler/types.js';

/** [count, cpu millicores, memory MiB, GPUs, model] per node type, from the first 457 rows of openb_node_list_gpu_node.csv. */
export const OPENB_NODE_TYPES: [number, number, number, number, string][] = [
  [235, 96_000, 393_216, 8, 'G2'], [105, 104_000, 524_288, 2, 'T4'], [45, 16_000, 122_880, 2, 'P100'], [22, 64_000, 262_144, 2, 'P100'],
  [25, 128_000, 786_432, 8, 'G3'], [12, 96_000, 786_432, 8, 'V100M32'], [16, 32_000, 131_072, 4, 'V100M16'], [8, 96_000, 393_216, 4, 'T4'],
  [5, 64_000, 262_144, 8, 'V100M16'], [3, 48_000, 376_832, 4, 'V100M32'], [4, 8_000, 32_768, 1, 'V100M16'], [2, 8_000, 61_440, 1, 'P100'],
];

/** [weight, cpu millicores, memory MiB, whole GPUs, milli-GPU slice] per pod shape, from the first 226 rows of openb_pod_list_default.csv. */
export const OPENB_POD_SHAPES: [number, number, number, number, number][] = [
  // CPU only
  [1, 20_000, 65_536, 0, 0], [1, 32_000, 65_536, 0, 0], [6, 8_000, 30_517, 0, 0], [1, 12_500, 65_536, 0, 0],
  // 8 GPUs
  [2, 88_000, 327_680, 8, 0],
  // one whole GPU
  [12, 12_000, 16_384, 1, 0], [14, 16_000, 32_768, 1, 0], [70, 3_152, 5_600, 1, 0], [12, 18_708, 64_512, 1, 0], [8, 12_000, 24_576, 1, 0],
  [4, 16_000, 65_536, 1, 0], [3, 16_000, 49_152, 1, 0], [5, 8_000, 16_384, 1, 0], [3, 4_000, 24_576, 1, 0], [6, 11_908, 47_104, 1, 0],
  [2, 9_810, 41_560, 1, 0], [2, 4_000, 31_250, 1, 0], [2, 8_000, 65_536, 1, 0], [2, 12_000, 15_360, 1, 0], [2, 4_000, 16_384, 1, 0],
  [2, 12_000, 49_152, 1, 0], [2, 8_000, 32_768, 1, 0],
  // a shared slice of one GPU
  [6, 6_000, 12_288, 0, 460], [12, 8_000, 30_517, 0, 470], [6, 8_000, 30_517, 0, 320], [6, 4_000, 15_258, 0, 220], [4, 4_000, 15_258, 0, 320],
  [2, 4_000, 15_258, 0, 110], [2, 4_000, 15_258, 0, 160], [1, 4_000, 15_258, 0, 50], [2, 8_000, 30_517, 0, 220], [2, 8_000, 30_517, 0, 230],
  [1, 8_000, 30_517, 0, 650], [3, 4_152, 10_600, 0, 550], [2, 4_152, 10_600, 0, 810], [1, 4_152, 10_600, 0, 270], [4, 3_152, 5_600, 0, 810],
  [1, 3_152, 5_600, 0, 590], [4, 11_908, 47_104, 0, 470], [1, 6_000, 22_888, 0, 160], [2, 4_000, 30_517, 0, 230], [1, 4_000, 30_517, 0, 320],
];

const MIB = 2 ** 20;

/** The openb-like cluster: nodes labelled with their GPU model. */
export function openbLikeNodes(): Node[] {
  const nodes: Node[] = [];
  for (const [count, cpu, mem, gpus, model] of OPENB_NODE_TYPES) {
    for (let i = 0; i < count; i++) nodes.push({ name: `openb-${model.toLowerCase()}-${nodes.length}`, labels: { 'nvidia.com/gpu.product': model }, allocatable: { cpu, memory: mem * MIB, 'nvidia.com/gpu': gpus } });
  }
  return nodes;
}

/** One pod of the stream: per-pod requests. */
export interface OpenbPod { cpu: number; memory: number; gpus: number; milli: number }

/** `n` pods drawn from the shape weights (seeded: same seed, same stream). */
export function openbLikePods(n: number, seed = 2023): OpenbPod[] {
  const rnd = seededRandom(seed);
  const total = OPENB_POD_SHAPES.reduce((s, x) => s + x[0], 0);
  const out: OpenbPod[] = [];
  for (let i = 0; i < n; i++) {
    let r = rnd() * total;
    let shape = OPENB_POD_SHAPES[0];
    for (const s of OPENB_POD_SHAPES) { r -= s[0]; if (r < 0) { shape = s; break; } }
    out.push({ cpu: shape[1], memory: shape[2] * MIB, gpus: shape[3], milli: shape[4] });
  }
  return out;
}
