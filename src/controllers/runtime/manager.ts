/**
 * The controller manager: one informer per kind shared by every controller that needs it,
 * started before the controllers, and a graceful stop that lets in-flight reconciles finish.
 */
import type { Logger } from 'pino';
import type { Kind } from '../../api/kind.js';
import type { ResourceClient } from '../../client/resource-client.js';
import { Controller, type ControllerOptions, type Reconciler } from './controller.js';
import { Informer } from './informer.js';

/** Owns informers and controllers. */
export class ControllerManager {
  private readonly informers = new Map<string, Informer>();
  private readonly controllers: Controller[] = [];
  private started = false;

  constructor(readonly client: ResourceClient, readonly log: Logger) {}

  /** The shared informer of a kind (created on first use). */
  informer(kind: Kind): Informer {
    let inf = this.informers.get(kind.resource);
    if (!inf) {
      inf = new Informer(kind, this.client, this.log);
      this.informers.set(kind.resource, inf);
    }
    return inf;
  }

  /** Adds a controller; options default to the manager's logger. */
  add(reconciler: Reconciler, opts: Omit<ControllerOptions, 'log'> & { log?: Logger }): Controller {
    const c = new Controller(reconciler, { ...opts, log: opts.log ?? this.log.child({ controller: reconciler.name }) });
    this.controllers.push(c);
    if (this.started) c.start();
    return c;
  }

  /** Starts informers (waiting for their first list), then controllers. */
  async start(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
    for (const c of this.controllers) c.start();
    this.started = true;
  }

  /** True when every informer has synced. */
  hasSynced(): boolean {
    return this.started && [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** Stops controllers (letting running reconciles finish), then informers. */
  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    for (const i of this.informers.values()) i.stop();
  }
}
