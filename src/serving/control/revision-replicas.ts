/**
 * One revision's replicas on the local runtime: start up to a count, list ready endpoints, drain surplus replicas
 * (the caller takes them out of the gateway route first), and release the model pin when the revision goes.
 */
import { join } from 'node:path';
import type { RevisionStatus } from '../../api/kinds/inference-service.js';
import type { LocalRuntime, ProcessStatus } from '../../runtime/local/index.js';
import { replicaProcessSpec, type RevisionTemplate } from './replica-command.js';

/** The model a revision serves, as recorded in status. */
export type RevisionModel = RevisionStatus['model'];

/** Static facts of a revision. */
export interface RevisionIdentity {
  namespace: string;
  service: string;
  name: string;
  configHash: string;
  template: RevisionTemplate;
  model: RevisionModel;
  /** The cached model file, once fetched and pinned. */
  modelPath?: string;
}

/** Where replica files go. */
export interface ReplicaPaths {
  logRoot: string;
  workRoot: string;
  repoRoot: string;
}

/** A ready replica the gateway may route to. */
export interface ReplicaEndpoint {
  id: string;
  url: string;
}

/** The replicas of one revision. */
export class RevisionReplicas {
  /** Indexes started (and not yet removed). */
  private readonly started = new Set<number>();
  private readonly draining = new Set<number>();

  constructor(readonly rev: RevisionIdentity, private readonly runtime: LocalRuntime, private readonly paths: ReplicaPaths) {}

  /** Process id of replica `i` in the runtime. */
  replicaId(i: number): string {
    return `${this.rev.namespace}/${this.rev.service}/${this.rev.name}/${i}`;
  }

  /** Log file of replica `i`. */
  logFile(i: number): string {
    return join(this.paths.logRoot, this.rev.namespace, this.rev.service, `${this.rev.name}-${i}.log`);
  }

  /** Starts replicas 0..n-1 that are not running (never stops any: see surplus()). */
  scaleUp(n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.started.has(i) || this.draining.has(i)) continue;
      this.runtime.run(replicaProcessSpec({
        id: this.replicaId(i),
        service: this.rev.service,
        template: this.rev.template,
        modelPath: this.rev.modelPath,
        logFile: this.logFile(i),
        workDir: join(this.paths.workRoot, this.rev.namespace, this.rev.service, this.rev.name),
        root: this.paths.repoRoot,
        // Replicas started now share the machine's cores with the n - 1 others.
        replicas: n,
      }));
      this.started.add(i);
    }
  }

  /** Indexes above `n` that run now: take them out of the route, then drain(). */
  surplus(n: number): number[] {
    return [...this.started].filter((i) => i >= n).sort((a, b) => b - a);
  }

  /** Gracefully stops replicas (SIGTERM: the model server finishes in-flight requests). */
  async drain(indexes: number[]): Promise<void> {
    await Promise.all(indexes.map(async (i) => {
      if (!this.started.delete(i)) return;
      this.draining.add(i);
      try {
        await this.runtime.remove(this.replicaId(i));
      } finally {
        this.draining.delete(i);
      }
    }));
  }

  /** Statuses of the running replicas, by index. */
  statuses(): Array<{ index: number; status: ProcessStatus }> {
    const out: Array<{ index: number; status: ProcessStatus }> = [];
    for (const i of [...this.started].sort((a, b) => a - b)) {
      const s = this.runtime.get(this.replicaId(i))?.status();
      if (s) out.push({ index: i, status: s });
    }
    return out;
  }

  /** Ready replicas with indexes below `limit` (surplus ones are excluded before they drain). */
  endpoints(limit = Number.POSITIVE_INFINITY): ReplicaEndpoint[] {
    return this.statuses()
      .filter(({ index, status }) => index < limit && status.ready && status.port !== undefined && status.phase === 'Running')
      .map(({ index, status }) => ({ id: `${this.rev.name}/${index}/${status.pid}`, url: `http://127.0.0.1:${status.port}` }));
  }

  /** Ready replica count. */
  readyCount(): number {
    return this.endpoints().length;
  }

  /** Started (not draining) replica count. */
  startedCount(): number {
    return this.started.size;
  }

  /** Indexes started, for logs and autoscaling readings. */
  indexes(): number[] {
    return [...this.started].sort((a, b) => a - b);
  }

  /** Stops every replica. */
  async stopAll(): Promise<void> {
    await this.drain([...this.started]);
  }
}
