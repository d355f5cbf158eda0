// Node scores for placement, over EVERY resource a node offers (cpu, memory, GPUs and any other),
// each normalised by the node's allocatable amount so no single resource dominates:
//   remaining(n, pod) = mean over resources r with allocatable > 0 of (free_r − request_r) / allocatable_r
// best-fit takes the lowest remaining (fullest node after placement), worst-fit the highest.
// Pure arithmetic on the working state; no allocation.
import type { NodeState, SparseReq } from './internal-types.js';
import { MILLI } from './node-index.js';

/** Mean fraction of each resource left on the node after placing one pod with `req` (0 = full, 1 = empty).
 * With shared GPUs in play the GPU dimension is the node's free milli-GPU (whole GPUs count 1000 each). */
export function remainingAfter(n: NodeState, req: SparseReq, gpuRes: number): number {
  const alloc = n.alloc;
  const free = n.free;
  const shared = n.milliRes >= 0;
  let sum = 0;
  let dims = 0;
  for (let r = 0; r < alloc.length; r++) {
    const a = alloc[r];
    if (a <= 0 || (shared && r === gpuRes)) continue;
    let f = free[r];
    for (let i = 0; i < req.length; i++) {
      if (req[i][0] === r) f -= req[i][1];
      else if (shared && r === n.milliRes && req[i][0] === gpuRes) f -= req[i][1] * MILLI;
    }
    sum += f / a;
    dims++;
  }
  return dims === 0 ? 0 : sum / dims;
}
