/** The registry's garbage collector: blobs no ModelVersion references, past a grace period, are deleted. */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { collectGarbage, type CollectGarbageResult } from '../artifacts/index.js';
import type { ModelRegistry } from './model-registry.js';

/** One GC pass at `now` (references are read first; collectGarbage re-checks each blob's age before deleting). */
export async function collectRegistryGarbage(registry: ModelRegistry, opts: { graceMs: number; now: Date; dryRun?: boolean }): Promise<CollectGarbageResult> {
  const referenced = await registry.referencedDigests();
  return collectGarbage(registry.store, referenced, { graceMs: opts.graceMs, now: opts.now, dryRun: opts.dryRun });
}

/** A periodic GC job with start/stop; passes never overlap. */
export class RegistryGcJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly opts: { graceMs: number; intervalMs: number; log: Logger; deleted: Counter; freed: Counter; now?: () => Date },
  ) {}

  /** Runs one pass now (skipped when one is running). */
  runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const r = await collectRegistryGarbage(this.registry, { graceMs: this.opts.graceMs, now: (this.opts.now ?? (() => new Date()))() });
        this.opts.deleted.inc(r.deleted.length);
        this.opts.freed.inc(r.bytesFreed);
        if (r.deleted.length || r.tempRemoved || r.missingReferenced.length) {
          this.opts.log.info({ deleted: r.deleted.length, bytesFreed: r.bytesFreed, tempRemoved: r.tempRemoved, missingReferenced: r.missingReferenced }, 'registry garbage collected');
        }
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message }, 'registry garbage collection failed');
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Starts the periodic runs (none when intervalMs is 0). */
  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.runOnce(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a running pass. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
