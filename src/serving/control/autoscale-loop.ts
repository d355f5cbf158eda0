/**
 * The autoscaler driver: every tick, per service, reads the gateway's counters (KPA) or the replicas' CPU and
 * memory from /proc (HPA), asks the pure decision function for a replica count, records every change as an Event
 * with its reason and queues a reconcile. A request for a service scaled to zero wakes it at once.
 */
import type { Logger } from 'pino';
import type { PredictorSpec } from '../../api/kinds/inference-service.js';
import type { EventRecorder } from '../../controllers/runtime/event-recorder.js';
import type { LocalRuntime } from '../../runtime/local/index.js';
import type { Gateway } from '../gateway/index.js';
import type { ScaleChange, UsageReading } from './service-autoscaler.js';
import { routeNameOf, type ServiceState } from './service-state.js';

/** What the loop works with. */
export interface AutoscaleLoopDeps {
  services: Map<string, ServiceState>;
  gateway: Gateway;
  runtime: LocalRuntime;
  recorder: EventRecorder;
  log: Logger;
}

function quantity(q: string | number | undefined, memory: boolean): number | undefined {
  if (q === undefined) return undefined;
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) return undefined;
  const mult: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  const n = Number(m[1]) * (m[2] ? mult[m[2]] ?? 1 : 1);
  // a bare number is cores for cpu and bytes for memory, as in Kubernetes
  void memory;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Average CPU and memory utilization (percent of the request; 1 core and 1 GiB when none) of the service's replicas. */
export function readUsage(st: ServiceState, runtime: LocalRuntime, now: number): UsageReading {
  const res = (st.object?.spec as { predictor?: PredictorSpec } | undefined)?.predictor?.resources;
  const cpuRequest = quantity(res?.cpu, false) ?? 1;
  const memRequest = quantity(res?.memory, true) ?? 1024 ** 3;
  let cpuSum = 0;
  let cpuN = 0;
  let memSum = 0;
  let memN = 0;
  for (const rr of st.revisions.values()) {
    for (const i of rr.indexes()) {
      const id = rr.replicaId(i);
      const u = runtime.usage(id);
      if (!u) continue;
      memSum += u.rssBytes / memRequest;
      memN++;
      const prev = st.cpuReadings.get(id);
      st.cpuReadings.set(id, { at: now, cpuSeconds: u.cpuSeconds });
      if (prev && now > prev.at) {
        cpuSum += (u.cpuSeconds - prev.cpuSeconds) / ((now - prev.at) / 1000) / cpuRequest;
        cpuN++;
      }
    }
  }
  return {
    ...(cpuN > 0 ? { cpuPercent: (cpuSum / cpuN) * 100 } : {}),
    ...(memN > 0 ? { memoryPercent: (memSum / memN) * 100 } : {}),
  };
}

function eventReason(c: ScaleChange): string {
  if (c.to === 0) return 'ScaledToZero';
  return c.to > c.from ? 'ScaledUp' : 'ScaledDown';
}

/** Records a change and queues the service's reconcile. */
export function applyChange(deps: AutoscaleLoopDeps, st: ServiceState, change: ScaleChange, now: number): void {
  st.scaledAt = new Date(now).toISOString();
  deps.log.info({ kind: 'InferenceService', namespace: st.namespace, name: st.name, from: change.from, to: change.to, reason: change.reason }, 'autoscaler decision');
  if (st.object) void deps.recorder.event(st.object, 'Normal', eventReason(change), change.reason);
  st.enqueue?.();
}

/** One tick over every service. */
export function autoscaleTick(deps: AutoscaleLoopDeps): void {
  for (const st of deps.services.values()) {
    if (!st.autoscaler || !st.object) continue;
    const stats = deps.gateway.stats(routeNameOf(st.namespace, st.name));
    const usage = st.autoscaler.settings.kind === 'hpa' ? readUsage(st, deps.runtime, stats.at) : {};
    const change = st.autoscaler.tick(stats, st.readyTotal(), usage, stats.at);
    if (change) applyChange(deps, st, change, stats.at);
  }
}

/** Wakes a service that a request found with no ready replica. */
export function wakeService(deps: AutoscaleLoopDeps, routeName: string): void {
  for (const st of deps.services.values()) {
    if (routeNameOf(st.namespace, st.name) !== routeName || !st.autoscaler) continue;
    const change = st.autoscaler.wake();
    if (change) applyChange(deps, st, change, Date.now());
    else st.enqueue?.();
  }
}
