/**
 * Records Events about objects. A repeated event (same object, type, reason and message)
 * updates one Event's count and lastTimestamp instead of making another. Recording never
 * fails the caller: an event is a report, not part of the work.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError } from '../../api/errors.js';
import { EventKind } from '../../api/kinds/event.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceClient } from '../../client/resource-client.js';

/** Normal or Warning, as in Kubernetes. */
export type EventType = 'Normal' | 'Warning';

/** Writes Events for a component. */
export class EventRecorder {
  constructor(private readonly client: ResourceClient, private readonly component: string, private readonly log: Logger, private readonly now: () => Date = () => new Date()) {}

  private async createOrCount(namespace: string, name: string, ts: string, body: Record<string, unknown>): Promise<void> {
    try {
      await this.client.create(EventKind, body);
    } catch (err) {
      // Two reporters raced to create the same event: count this one on the winner's.
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      const cur = await this.client.get(EventKind, namespace, name);
      await this.client.patch(EventKind, namespace, name, { count: Number(cur.count ?? 1) + 1, lastTimestamp: ts });
    }
  }

  /** Records (or aggregates) an event about `obj`. Cluster-scoped objects' events go to project "default". */
  async event(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const digest = createHash('sha1').update(`${obj.kind}\0${obj.metadata.uid}\0${type}\0${reason}\0${message}`).digest('hex').slice(0, 12);
    const name = `${obj.metadata.name.slice(0, 200)}.${digest}`;
    const ts = this.now().toISOString();
    try {
      const existing = await this.client.tryGet(EventKind, namespace, name);
      if (existing) {
        await this.client.patch(EventKind, namespace, name, { count: Number(existing.count ?? 1) + 1, lastTimestamp: ts });
        return;
      }
      await this.createOrCount(namespace, name, ts, {
        apiVersion: EventKind.apiVersion,
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}), uid: obj.metadata.uid },
        type,
        reason,
        message: message.slice(0, 8000),
        count: 1,
        firstTimestamp: ts,
        lastTimestamp: ts,
        source: { component: this.component },
      });
    } catch (err) {
      // A project being deleted refuses new objects; anything else is worth a log line.
      if (!(err instanceof ApiError && (err.reason === 'Forbidden' || err.reason === 'NotFound'))) {
        this.log.warn({ err: (err as Error).message, reason }, 'could not record event');
      }
    }
  }
}
