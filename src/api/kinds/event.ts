/** Event: something that happened to an object, aggregated when it repeats (like core/v1 Event). */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';

/** The Event kind. */
export const EventKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  description: 'Something that happened to an object: a reason, a message, how often and when.',
  body: z.object({
    involvedObject: z
      .object({
        apiVersion: z.string().optional(),
        kind: z.string().min(1),
        namespace: z.string().optional(),
        name: z.string().min(1),
        uid: z.string().optional(),
        resourceVersion: z.string().optional(),
      })
      .strict(),
    type: z.enum(['Normal', 'Warning']).default('Normal'),
    reason: z.string().min(1).max(128),
    message: z.string().max(8192).default(''),
    count: z.number().int().min(1).default(1),
    firstTimestamp: z.string().optional(),
    lastTimestamp: z.string().optional(),
    source: z.object({ component: z.string().optional() }).strict().optional(),
  }),
  columns: [
    { name: 'LAST SEEN', value: (o) => String(o.lastTimestamp ?? '') },
    { name: 'TYPE', value: (o) => String(o.type ?? '') },
    { name: 'REASON', value: (o) => String(o.reason ?? '') },
    { name: 'OBJECT', value: (o) => { const i = o.involvedObject as { kind: string; name: string }; return `${i.kind.toLowerCase()}/${i.name}`; } },
    { name: 'COUNT', value: (o) => String(o.count ?? 1), wide: true },
    { name: 'MESSAGE', value: (o) => String(o.message ?? '') },
  ],
});
