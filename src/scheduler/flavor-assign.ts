// Flavor assignment (Kueue's flavorassigner): for each resource group a podSet touches, try the
// group's flavors in order and classify each as Fit (quota available now, maybe by borrowing),
// Preempt (would fit within nominal/borrowing limits if someone were preempted) or NoFit.
import type { CQState, PodSetState, Pool, SchedulerState, WlState } from './internal-types.js';
import { available, maxCapacity } from './quota.js';
import { formatTaint, labelsConflict, toleratesAll, untoleratedTaint } from './node-matching.js';
import { formatQuantity } from './quantity.js';

/** Mode of a flavor choice, best first. */
export const FIT = 0;
/** Fits only after preemption. */
export const PREEMPT = 1;
/** Cannot fit. */
export const NOFIT = 2;

/** One way to serve a podSet: a flavor per touched resource group. */
export interface Combo {
  /** The queue-static part this combo was made from (caches the node pool). */
  base: StaticCombo;
  flavorOfResource: Map<number, number>;
  flavorsUsed: number[];
  usage: [key: number, amount: number][];
  mode: number;
  borrowing: boolean;
  /** First key that does not fit now, for the human reason. */
  short?: { key: number; need: number; avail: number };
}

/** Why a podSet has no combo at all. */
export interface AssignProblem {
  message: string;
}

/** Whether the queue's policies can preempt at all, and how far (nominal only, or with borrowing). */
export function preemptCapFor(state: SchedulerState, cq: CQState, key: number): number {
  const p = cq.spec.preemption ?? {};
  if (!state.options.preemption) return -1;
  const within = (p.withinClusterQueue ?? 'Never') !== 'Never';
  const reclaim = (p.reclaimWithinCohort ?? 'Never') !== 'Never';
  const borrow = (p.borrowWithinCohort?.policy ?? 'Never') !== 'Never';
  if (!within && !reclaim) return -1;
  if (borrow || (state.options.fairSharing && reclaim)) return maxCapacity(cq, key);
  return cq.nominal[key];
}

function flavorEligible(state: SchedulerState, ps: PodSetState, f: number): boolean {
  const fi = state.flavors[f];
  if (fi.missing) return false;
  if (labelsConflict(fi.nodeLabels, ps.spec.nodeSelector)) return false;
  return toleratesAll(fi.nodeTaints, ps.spec.tolerations);
}

/** Why a flavor cannot serve a podSet: "h100 (ResourceFlavor not found)", "spot (taint spot=true:NoSchedule not tolerated)". */
function whyIneligible(state: SchedulerState, ps: PodSetState, f: number): string {
  const fi = state.flavors[f];
  if (fi.missing) return `${fi.name} (ResourceFlavor not found)`;
  const sel = ps.spec.nodeSelector ?? {};
  const key = Object.keys(sel).find((k) => fi.nodeLabels && k in fi.nodeLabels && fi.nodeLabels[k] !== sel[k]);
  if (key !== undefined) return `${fi.name} (nodeLabels ${key}=${fi.nodeLabels?.[key]} contradict nodeSelector ${key}=${sel[key]})`;
  const t = untoleratedTaint(fi.nodeTaints, ps.spec.tolerations);
  return t ? `${fi.name} (taint ${formatTaint(t)} not tolerated)` : fi.name;
}

/** Flavor choice of a podSet in a queue, independent of current usage. */
export interface StaticCombo {
  flavorOfResource: Map<number, number>;
  flavorsUsed: number[];
  usage: [key: number, amount: number][];
  pool?: Pool;
}

// The flavor choices of a podSet shape in a queue never change within a state; only their modes do,
// so they are computed once per (shape, queue) and shared by every workload of that shape.
function staticCombos(state: SchedulerState, cq: CQState, ps: PodSetState): StaticCombo[] | AssignProblem {
  const cacheKey = ps.shapeId * state.cqs.length + cq.idx;
  const hit = state.staticCombos.get(cacheKey) as StaticCombo[] | AssignProblem | undefined;
  if (hit) return hit;
  const R = state.R;
  const groupsUsed: number[] = [];
  for (const [r, a] of ps.req) {
    if (a <= 0) continue;
    const g = cq.groupOfResource[r];
    if (g < 0) {
      const problem = { message: `resource ${state.resources[r]} is not covered by ClusterQueue ${cq.name}` };
      state.staticCombos.set(cacheKey, problem);
      return problem;
    }
    if (!groupsUsed.includes(g)) groupsUsed.push(g);
  }
  const perGroup: number[][] = groupsUsed.map((g) => cq.groups[g].flavors.filter((f) => flavorEligible(state, ps, f)));
  for (let i = 0; i < perGroup.length; i++) {
    if (perGroup[i].length === 0) {
      const g = cq.groups[groupsUsed[i]];
      const res = g.resources.map((r) => state.resources[r]).join(', ');
      const why = g.flavors.length === 0 ? 'it lists no flavors' : `flavors ${g.flavors.map((f) => whyIneligible(state, ps, f)).join(', ')}`;
      const problem = { message: `no flavor for ${res} in ClusterQueue ${cq.name} can serve podSet ${ps.spec.name}: ${why}` };
      state.staticCombos.set(cacheKey, problem);
      return problem;
    }
  }
  const combos: StaticCombo[] = [];
  const pick: number[] = new Array(perGroup.length).fill(0);
  for (;;) {
    const flavorOfResource = new Map<number, number>();
    const flavorsUsed: number[] = [];
    for (let i = 0; i < perGroup.length; i++) {
      const f = perGroup[i][pick[i]];
      flavorsUsed.push(f);
      for (const r of cq.groups[groupsUsed[i]].resources) flavorOfResource.set(r, f);
    }
    const usage: [number, number][] = [];
    for (const [r, a] of ps.req) if (a > 0) usage.push([(flavorOfResource.get(r) as number) * R + r, a * ps.count]);
    combos.push({ flavorOfResource, flavorsUsed, usage });
    if (combos.length >= 16) break;
    let i = perGroup.length - 1;
    while (i >= 0 && ++pick[i] >= perGroup[i].length) { pick[i] = 0; i--; }
    if (i < 0) break;
  }
  state.staticCombos.set(cacheKey, combos);
  return combos;
}

/**
 * All flavor combos for a podSet given what earlier podSets of the same workload already took
 * (`acc`), ordered Fit (respecting flavorFungibility) then Preempt then NoFit. At most 16.
 */
export function podSetCombos(state: SchedulerState, cq: CQState, ps: PodSetState, acc: Map<number, number>): Combo[] | AssignProblem {
  const statics = staticCombos(state, cq, ps);
  if (!Array.isArray(statics)) return statics;
  const out: Combo[] = [];
  const tryNext = cq.spec.flavorFungibility?.whenCanBorrow === 'TryNextFlavor';
  let sorted = true;
  let lastRank = -1;
  for (const sc of statics) {
    let mode = FIT;
    let borrowing = false;
    let short: Combo['short'];
    for (let i = 0; i < sc.usage.length; i++) {
      const key = sc.usage[i][0];
      const amount = sc.usage[i][1];
      const need = acc.size > 0 ? amount + (acc.get(key) ?? 0) : amount;
      const avail = available(cq, key);
      if (need <= avail) {
        if (cq.usage[key] + need > cq.nominal[key]) borrowing = true;
        continue;
      }
      if (!short) short = { key, need, avail };
      const cap = preemptCapFor(state, cq, key);
      const m = cap >= 0 && need <= cap ? PREEMPT : NOFIT;
      if (m > mode) mode = m;
    }
    const rank = mode * 2 + (tryNext && mode === FIT && borrowing ? 1 : 0);
    if (rank < lastRank) sorted = false;
    lastRank = rank;
    out.push({ base: sc, flavorOfResource: sc.flavorOfResource, flavorsUsed: sc.flavorsUsed, usage: sc.usage, mode, borrowing, short });
  }
  if (sorted) return out;
  // Stable sort keeps flavor order within a class; TryNextFlavor prefers non-borrowing fits.
  const rank = (c: Combo) => c.mode * 2 + (tryNext && c.mode === FIT && c.borrowing ? 1 : 0);
  return out.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
}

/** The first key of a combo the queue could never hold (more than nominal plus all it may borrow), if any. */
export function quotaNever(cq: CQState, c: { usage: [number, number][] }, acc: Map<number, number>): { key: number; need: number; max: number } | undefined {
  for (const [key, amount] of c.usage) {
    const need = acc.size > 0 ? amount + (acc.get(key) ?? 0) : amount;
    const max = maxCapacity(cq, key);
    if (need > max) return { key, need, max };
  }
  return undefined;
}

/** "needs 16 nvidia.com/gpu of flavor h100 but ClusterQueue q can hold at most 8 even when borrowing". */
export function quotaNeverMessage(state: SchedulerState, cq: CQState, n: { key: number; need: number; max: number }): string {
  const r = n.key % state.R;
  const f = (n.key - r) / state.R;
  const res = state.resources[r];
  const how = !cq.has[n.key] ? `ClusterQueue ${cq.name} has no quota for it` : `ClusterQueue ${cq.name} can hold at most ${formatQuantity(n.max, res)}${cq.cohort ? ' even when borrowing' : ' (no cohort to borrow from)'}`;
  return `needs ${formatQuantity(n.need, res)} ${res} of flavor ${state.flavors[f].name} but ${how}`;
}

/**
 * Human sentence for a quota shortfall, e.g. "waiting for 4 nvidia.com/gpu of flavor h100 in queue
 * research: 6 of 8 in use, cohort has none to lend". It names what binds: the queue's own quota
 * (and how much of it is lent out), the borrowingLimit, or what the cohort can still lend.
 */
export function shortfallMessage(state: SchedulerState, cq: CQState, short: { key: number; need: number; avail: number }): string {
  const R = state.R;
  const k = short.key;
  const r = k % R;
  const f = (k - r) / R;
  const res = state.resources[r];
  const q = (n: number) => formatQuantity(Math.max(0, n), res);
  const used = cq.usage[k];
  const nominal = cq.nominal[k];
  let head = `${q(used)} of ${q(nominal)} in use`;
  if (used > nominal) head += ` (${q(used - nominal)} borrowed)`;
  const co = cq.cohort;
  if (!co) return `waiting for ${q(short.need)} ${res} of flavor ${state.flavors[f].name} in queue ${cq.name}: ${head}, no cohort to borrow from`;
  // What the queue could take ignoring its borrowingLimit: its guaranteed part plus the cohort's free pool.
  const guaranteedFree = Math.max(0, nominal - cq.lendable[k] - used);
  const reach = guaranteedFree + Math.max(0, co.pool[k] - co.poolUsage[k]);
  // Attribute that reach to the queue's own unused quota first; the rest of its unused quota is lent out.
  const ownUnused = Math.max(0, nominal - used);
  const fromOwn = Math.min(ownUnused, reach);
  const lentOut = ownUnused - fromOwn;
  const othersLend = reach - fromOwn;
  if (lentOut > 0) head += `, ${q(lentOut)} of its quota lent to cohort ${co.name}`;
  const limit = cq.borrowLimit[k];
  const byLimit = nominal + limit - used;
  let tail: string;
  if (Number.isFinite(limit) && byLimit < reach) tail = byLimit <= 0 ? `borrowingLimit ${q(limit)} reached` : `borrowingLimit ${q(limit)} lets it borrow only ${q(byLimit - Math.max(0, ownUnused))} more`;
  else tail = othersLend > 0 ? `cohort ${co.name} can lend only ${q(othersLend)}` : 'cohort has none to lend';
  return `waiting for ${q(short.need)} ${res} of flavor ${state.flavors[f].name} in queue ${cq.name}: ${head}, ${tail}`;
}

/** Total usage keys of a workload's admission (for preemption and release). */
export function admittedUsage(wl: WlState): [number, number][] {
  const out: [number, number][] = [];
  for (const a of wl.admitted ?? []) for (const u of a.usage) out.push(u);
  return out;
}
