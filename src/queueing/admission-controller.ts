/**
 * The admission controller: on any change to queueing objects it rebuilds the scheduling core's
 * snapshot from informer caches, runs one `schedule()` cycle and writes the decisions back
 * (admissions, evictions, pending reasons, queue usage). Cycles are debounced and run off the
 * API's request path; writes are compare-and-swap on the version the decision was based on, and
 * the controller's own writes overlay the caches until the watch catches up, so a cycle never
 * decides on a view older than its previous one.
 */
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import { getCondition } from '../api/conditions.js';
import type { Kind } from '../api/kind.js';
import type { KubeObject } from '../api/meta.js';
import { ClusterQueueKind, type ClusterQueueSpec, type ClusterQueueStatus } from '../api/kinds/cluster-queue.js';
import { LocalQueueKind, type LocalQueueStatus } from '../api/kinds/local-queue.js';
import { WorkloadKind, type WorkloadSpec, type WorkloadStatus } from '../api/kinds/workload.js';
import type { ResourceClient } from '../client/resource-client.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { objectKey, type Informer } from '../controllers/runtime/informer.js';
import { createSchedulerState, schedule, summarizeQueueUsage, type PendingInfo, type ScheduleDecisions, type ScheduleOptions, type SchedulerSnapshot } from '../scheduler/index.js';
import { buildSnapshot, type LiveObjects } from './snapshot-mapping.js';
import { clusterQueueStatus, localQueueStatus, type QueueCounts } from './queue-status.js';
import { admittedStatus, evictedStatus, nodeFailureCause, pendingStatus, preemptionCause, type EvictionCause } from './workload-decision-status.js';
import { releasedStatus } from './workload-owner-actions.js';
import { learnedMeanDurations } from './learned-durations.js';

/** Settings of the admission controller. */
export interface AdmissionControllerOptions {
  client: ResourceClient;
  informers: Record<keyof LiveObjects, Informer>;
  recorder: EventRecorder;
  log: Logger;
  metrics?: Registry;
  /** Wall clock (ms); tests may pin it. */
  now?: () => number;
  /** At most one cycle per this many ms (default 100). */
  minIntervalMs?: number;
  /** An owned workload not released by its owner this long after eviction is released anyway (default 5 min). */
  ownerReleaseTimeoutMs?: number;
  /** Knobs passed to the core. */
  scheduleOptions?: ScheduleOptions;
}

const WRITE_CONCURRENCY = 8;

/** Runs admission cycles over the live objects. */
export class AdmissionController {
  private readonly overlay = new Map<string, KubeObject>();
  private timer: NodeJS.Timeout | undefined;
  private tick: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  private lastRun = 0;
  private readonly now: () => number;
  private readonly cycleSeconds?: Histogram;
  private readonly admissions?: Counter;
  private readonly preemptions?: Counter;
  /** Completed cycles (for tests and metrics). */
  cycles = 0;

  constructor(private readonly opts: AdmissionControllerOptions) {
    this.now = opts.now ?? Date.now;
    if (opts.metrics) {
      this.cycleSeconds = new Histogram({ name: 'capstan_queueing_cycle_seconds', help: 'Duration of admission cycles (snapshot, schedule, writes)', registers: [opts.metrics], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10] });
      this.admissions = new Counter({ name: 'capstan_queueing_admissions_total', help: 'Workloads admitted', labelNames: ['cluster_queue'], registers: [opts.metrics] });
      this.preemptions = new Counter({ name: 'capstan_queueing_evictions_total', help: 'Workloads evicted (preempted or node failure)', labelNames: ['reason'], registers: [opts.metrics] });
    }
  }

  /** Subscribes to every informer and runs cycles from now on. */
  start(): void {
    for (const inf of Object.values(this.opts.informers)) inf.onChange(() => this.trigger());
    // Time alone changes things: owner release deadlines, estimated starts.
    this.tick = setInterval(() => this.trigger(), 15_000);
    this.tick.unref();
    this.trigger();
  }

  /** Asks for a cycle; cycles coalesce and run at most every minIntervalMs. */
  trigger(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.timer || this.running) return;
    const wait = Math.max(0, this.lastRun + (this.opts.minIntervalMs ?? 100) - Date.now());
    this.timer = setTimeout(() => this.runOnce(), wait);
  }

  private runOnce(): void {
    this.timer = undefined;
    if (this.stopped) return;
    this.dirty = false;
    this.running = this.cycle()
      .catch((err: unknown) => {
        this.opts.log.warn({ err: (err as Error).message }, 'admission cycle failed');
        this.dirty = true;
      })
      .finally(() => {
        this.running = undefined;
        this.lastRun = Date.now();
        this.cycles++;
        if (this.dirty) this.trigger();
      });
  }

  /** Resolves when no cycle is running or due (for tests). */
  async idle(): Promise<void> {
    while (this.running || this.timer) {
      await this.running;
      if (this.timer) await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops scheduling cycles and waits for a running one. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.tick);
    await this.running;
  }

  private live(): LiveObjects {
    const pick = (kind: keyof LiveObjects): KubeObject[] => this.opts.informers[kind].list().map((o) => {
      const key = `${o.kind}|${objectKey(o)}`;
      const mine = this.overlay.get(key);
      if (!mine) return o;
      if (Number(o.metadata.resourceVersion) >= Number(mine.metadata.resourceVersion)) { this.overlay.delete(key); return o; }
      return mine;
    });
    return {
      projects: pick('projects'), resourceFlavors: pick('resourceFlavors'), clusterQueues: pick('clusterQueues'), localQueues: pick('localQueues'),
      priorityClasses: pick('priorityClasses'), workloads: pick('workloads'), nodes: pick('nodes'),
    };
  }

  private async write(kind: Kind, obj: KubeObject, status: unknown): Promise<KubeObject | undefined> {
    try {
      const saved = await this.opts.client.updateStatus(kind, { ...obj, status });
      this.overlay.set(`${saved.kind}|${objectKey(saved)}`, saved);
      return saved;
    } catch (err) {
      const reason = (err as { reason?: string }).reason;
      // A newer version exists (or it is gone): the watch will bring it and trigger another cycle.
      if (reason === 'Conflict' || reason === 'NotFound') { this.dirty = true; return undefined; }
      throw err;
    }
  }

  private async cycle(): Promise<void> {
    const started = process.hrtime.bigint();
    const now = this.now();
    const iso = new Date(now).toISOString();
    let live = this.live();
    if (await this.releaseEvicted(live.workloads, now, iso)) live = this.live();
    const snapshot = buildSnapshot(live);
    const options: ScheduleOptions = {
      fairSharing: snapshot.clusterQueues.some((cq) => cq.fairSharing !== undefined),
      meanDurationMs: learnedMeanDurations(live.workloads),
      ...this.opts.scheduleOptions,
    };
    const decisions = schedule(snapshot, now, options);
    await this.writeWorkloads(live.workloads, snapshot, decisions, iso);
    await this.writeQueues(live, snapshot, decisions, options, iso);
    this.cycleSeconds?.observe(Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Evicted workloads whose owner stopped them (or that have none, or whose owner is too slow) go back to their queue. */
  private async releaseEvicted(workloads: KubeObject[], now: number, iso: string): Promise<boolean> {
    const timeout = this.opts.ownerReleaseTimeoutMs ?? 300_000;
    const due = workloads.filter((w) => {
      const st = (w.status ?? {}) as WorkloadStatus;
      const ev = getCondition(st.conditions, 'Evicted');
      if (!st.admission || ev?.status !== 'True') return false;
      const owned = (w.metadata.ownerReferences ?? []).some((r) => r.controller);
      return !owned || now - Date.parse(ev.lastTransitionTime ?? iso) >= timeout;
    });
    await pool(due, (w) => this.write(WorkloadKind, w, releasedStatus((w.status ?? {}) as WorkloadStatus, new Date(now), 'Evicted; requeued')));
    return due.length > 0;
  }

  private priorityOf(snapshot: SchedulerSnapshot, spec: WorkloadSpec): number {
    if (spec.priority !== undefined) return spec.priority;
    return snapshot.priorityClasses?.find((p) => p.name === spec.priorityClassName)?.value ?? 0;
  }

  private async writeWorkloads(workloads: KubeObject[], snapshot: SchedulerSnapshot, d: ScheduleDecisions, iso: string): Promise<void> {
    const byKey = new Map(workloads.map((w) => [objectKey(w), w]));
    const jobs: Array<() => Promise<unknown>> = [];
    for (const a of d.admissions) {
      const w = byKey.get(`${a.namespace}/${a.name}`);
      if (!w) continue;
      jobs.push(async () => {
        const saved = await this.write(WorkloadKind, w, admittedStatus((w.status ?? {}) as WorkloadStatus, a, this.priorityOf(snapshot, w.spec as WorkloadSpec), iso));
        if (!saved) return;
        this.admissions?.inc({ cluster_queue: a.admission.clusterQueue });
        const waited = Math.max(0, Math.round((Date.parse(iso) - Date.parse(w.metadata.creationTimestamp)) / 1000));
        await this.opts.recorder.event(saved, 'Normal', 'Admitted', `Admitted by ClusterQueue ${a.admission.clusterQueue}${a.borrowing ? ', borrowing from its cohort' : ''}, after waiting ${waited}s`);
      });
    }
    const evict = (namespace: string, name: string, cause: EvictionCause) => {
      const w = byKey.get(`${namespace}/${name}`);
      if (!w) return;
      const cur = (w.status ?? {}) as WorkloadStatus;
      const ev = getCondition(cur.conditions, 'Evicted');
      if (ev?.status === 'True' && ev.reason === cause.reason) return;
      jobs.push(async () => {
        const saved = await this.write(WorkloadKind, w, evictedStatus(cur, cause, iso));
        if (!saved) return;
        this.preemptions?.inc({ reason: cause.reason });
        await this.opts.recorder.event(saved, 'Warning', cause.reason, cause.message);
      });
    };
    for (const p of d.preemptions) evict(p.namespace, p.name, preemptionCause(p));
    for (const e of d.evictions) evict(e.namespace, e.name, nodeFailureCause(e));
    for (const p of d.pending) {
      const w = byKey.get(`${p.namespace}/${p.name}`);
      if (!w) continue;
      const st = (w.status ?? {}) as WorkloadStatus;
      if (st.admission) continue; // evicted-and-not-yet-released workloads keep their story in conditions
      const next = pendingStatus(st, p, this.priorityOf(snapshot, w.spec as WorkloadSpec), iso);
      if (next) jobs.push(() => this.write(WorkloadKind, w, next));
    }
    await pool(jobs, (j) => j());
  }

  private async writeQueues(live: LiveObjects, snapshot: SchedulerSnapshot, d: ScheduleDecisions, options: ScheduleOptions, iso: string): Promise<void> {
    // Usage after this cycle's admissions, so `describe` shows what was just admitted.
    const admitted = new Map(d.admissions.map((a) => [`${a.namespace}/${a.name}`, a.admission]));
    const released = new Set([...d.evictions.map((e) => `${e.namespace}/${e.name}`)]);
    const after: SchedulerSnapshot = {
      ...snapshot,
      workloads: snapshot.workloads.map((w) => {
        const key = `${w.namespace}/${w.name}`;
        const adm = admitted.get(key);
        if (adm) return { ...w, status: { admission: adm } };
        if (released.has(key)) return { ...w, status: undefined };
        return w;
      }),
    };
    const state = createSchedulerState(after, { ...options, explain: false });
    const cqCounts = new Map<string, QueueCounts>();
    const lqCounts = new Map<string, QueueCounts>();
    const bump = (m: Map<string, QueueCounts>, k: string, f: keyof QueueCounts) => { const c = m.get(k) ?? { pending: 0, admitted: 0 }; c[f]++; m.set(k, c); };
    for (const w of after.workloads) {
      const lq = `${w.namespace}/${w.queueName}`;
      if (w.status?.admission) { bump(cqCounts, w.status.admission.clusterQueue, 'admitted'); bump(lqCounts, lq, 'admitted'); }
    }
    const byKey = new Map(after.workloads.map((w) => [`${w.namespace}/${w.name}`, w]));
    const cqPending = new Map<string, PendingInfo[]>();
    for (const p of d.pending) {
      if (admitted.has(`${p.namespace}/${p.name}`)) continue;
      if (p.clusterQueue) {
        bump(cqCounts, p.clusterQueue, 'pending');
        const list = cqPending.get(p.clusterQueue);
        if (list) list.push(p); else cqPending.set(p.clusterQueue, [p]);
      }
      const w = byKey.get(`${p.namespace}/${p.name}`);
      if (w && !w.status?.admission) bump(lqCounts, `${w.namespace}/${w.queueName}`, 'pending');
    }
    const flavors = new Set(snapshot.resourceFlavors.map((f) => f.name));
    const jobs: Array<() => Promise<unknown>> = [];
    for (const cq of live.clusterQueues) {
      if (cq.metadata.deletionTimestamp) continue;
      const next = clusterQueueStatus(cq.status as ClusterQueueStatus | undefined, cq.spec as ClusterQueueSpec, summarizeQueueUsage(state, cq.metadata.name),
        cqCounts.get(cq.metadata.name) ?? { pending: 0, admitted: 0 }, flavors, cq.metadata.generation, iso, cqPending.get(cq.metadata.name));
      if (next) jobs.push(() => this.write(ClusterQueueKind, cq, next));
    }
    const cqNames = new Set(snapshot.clusterQueues.map((c) => c.name));
    for (const lq of live.localQueues) {
      if (lq.metadata.deletionTimestamp) continue;
      const target = (lq.spec as { clusterQueue: string }).clusterQueue;
      const next = localQueueStatus(lq.status as LocalQueueStatus | undefined, target, cqNames.has(target), lqCounts.get(objectKey(lq)) ?? { pending: 0, admitted: 0 }, lq.metadata.generation, iso);
      if (next) jobs.push(() => this.write(LocalQueueKind, lq, next));
    }
    await pool(jobs, (j) => j());
  }
}

async function pool<T>(items: T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  const worker = async () => { while (i < items.length) await fn(items[i++]); };
  await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, items.length) }, worker));
}
