// Node scores for placement, over EVERY resource a node offers (cpu, memory, GPUs and any other),
// each normalised by the node's allocatable amount so no single resource dominates:
//   remaining(n, pod) = mean over resources r with allocatable > 0 of (free_r − request_r) / allocatable_r
// best-fit takes the lowest remaining (fullest node after placement), worst-fit the highest.
// Pure arithmetic on the working state; no allocation.
import type { NodeState, SparseReq } from './internal-types.js';

/** Mean fraction of each resource left on the node after placing one pod with `req` (0 = full, 1 = empty). */
export function remainingAfter(n: NodeState, req: SparseReq): number {
  const alloc = n.alloc;
  const free = n.free;
  let sum = 0;
  let dims = 0;
  for (let r = 0; r < alloc.length; r++) {
    const a = alloc[r];
    if (a <= 0) continue;
    let f = free[r];
    for (let i = 0; i < req.length; i++) if (req[i][0] === r) f -= req[i][1];
    sum += f / a;
    dims++;
  }
  return dims === 0 ? 0 : sum / dims;
}
