/** What the controller keeps in memory per InferenceService: its revisions' replicas, autoscaler and pending drains. */
import http from 'node:http';
import type { KubeObject } from '../../api/meta.js';
import type { RevisionReplicas } from './revision-replicas.js';
import type { ServiceAutoscaler } from './service-autoscaler.js';

/** The gateway name of a service: its own name in project default, `name.project` elsewhere (names are global there). */
export function routeNameOf(namespace: string, name: string): string {
  return namespace === 'default' ? name : `${name}.${namespace}`;
}

/** In-memory state of one service (rebuilt from the object after a restart; nothing here is the source of truth). */
export class ServiceState {
  object: KubeObject | undefined;
  readonly revisions = new Map<string, RevisionReplicas>();
  readonly retiring = new Set<string>();
  autoscaler: ServiceAutoscaler | undefined;
  routeSig = '';
  scaledAt: string | undefined;
  /** Queues a reconcile of this service (set by the module). */
  enqueue: (() => void) | undefined;
  /** Last CPU reading per replica process id, for the HPA's utilization. */
  readonly cpuReadings = new Map<string, { at: number; cpuSeconds: number }>();
  private readonly pending = new Set<Promise<void>>();
  private readonly loadErrors = new Map<number, string | null>();

  constructor(readonly key: string, readonly namespace: string, readonly name: string) {}

  /** Keeps track of background work (drains) so status says the service is still settling. */
  track(p: Promise<void>): void {
    const q = p.catch(() => undefined).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  /** True while drains run. */
  busy(): boolean {
    return this.pending.size > 0;
  }

  /** Waits for background work. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Ready replicas per revision. */
  readyMap(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [n, rr] of this.revisions) out[n] = rr.readyCount();
    return out;
  }

  /** Ready replicas across revisions. */
  readyTotal(): number {
    let n = 0;
    for (const rr of this.revisions.values()) n += rr.readyCount();
    return n;
  }

  /**
   * A model load failure of the revision's replicas, if one was seen. A replica that runs but is not ready after
   * a second is asked for its model's metadata once (per process); the model server answers 503 with the load
   * error, and `found` queues a reconcile so the condition shows it.
   */
  loadErrorOf(rr: RevisionReplicas, now: number, found: () => void): string | undefined {
    if (rr.rev.template.runtime !== 'onnx') return undefined;
    for (const { status } of rr.statuses()) {
      if (status.pid === undefined || status.port === undefined) continue;
      const known = this.loadErrors.get(status.pid);
      if (typeof known === 'string') return known;
      if (known === null || status.ready || status.phase !== 'Running' || (status.startedAt ?? now) > now - 1000) continue;
      // null = asked: one question per process; a refused connection clears it so the next reconcile asks again
      this.loadErrors.set(status.pid, null);
      const pid = status.pid;
      const req = http.get({ host: '127.0.0.1', port: status.port, path: `/v2/models/${encodeURIComponent(this.name)}`, agent: false, timeout: 2000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => {
          if (res.statusCode === 503 && /fail/i.test(body)) {
            let msg = body;
            try {
              msg = String((JSON.parse(body) as { error?: string }).error ?? body);
            } catch {
              // keep the raw text
            }
            this.loadErrors.set(pid, msg.slice(0, 500));
            found();
          }
        });
      });
      req.on('error', () => this.loadErrors.delete(pid));
      req.on('timeout', () => req.destroy());
    }
    return undefined;
  }
}
