/** Validation of `Gateway.setRoute` input: errors name the offending field. */
import { z } from 'zod';

const endpointSchema = z.object({
  id: z.string().min(1),
  url: z.string().regex(/^http:\/\/[^/\s]+(:\d+)?\/?$/, 'must be http://host:port'),
});

const revisionSchema = z.object({
  name: z.string().min(1),
  percent: z.number().min(0).max(100),
  endpoints: z.array(endpointSchema),
});

/** The shape `setRoute` accepts. */
export const serviceRouteSchema = z
  .object({
    revisions: z.array(revisionSchema),
    containerConcurrency: z.number().int().min(0).optional(),
    maxInFlight: z.number().int().min(1).optional(),
    timeoutMs: z.number().int().min(1).optional(),
    modelName: z.string().min(1).optional(),
    /** The project the service is in: callers need `infer` there (unless `public`). */
    project: z.string().min(1).optional(),
    /** Answer without credentials. */
    public: z.boolean().optional(),
  })
  .superRefine((r, ctx) => {
    const names = new Set<string>();
    r.revisions.forEach((rev, i) => {
      if (names.has(rev.name)) ctx.addIssue({ code: 'custom', path: ['revisions', i, 'name'], message: `duplicate revision "${rev.name}"` });
      names.add(rev.name);
      const ids = new Set<string>();
      rev.endpoints.forEach((ep, j) => {
        if (ids.has(ep.id)) ctx.addIssue({ code: 'custom', path: ['revisions', i, 'endpoints', j, 'id'], message: `duplicate endpoint id "${ep.id}"` });
        ids.add(ep.id);
      });
    });
    const sum = r.revisions.reduce((s, rev) => s + rev.percent, 0);
    if (r.revisions.length > 0 && Math.abs(sum - 100) > 1e-6) ctx.addIssue({ code: 'custom', path: ['revisions'], message: `percents must sum to 100, got ${sum}` });
  });

/** A service's route: revisions with their traffic share and ready endpoints. */
export type ServiceRouteSpec = z.infer<typeof serviceRouteSchema>;

/** Parses a route or throws an Error whose message lists `path: problem` for each bad field. */
export function parseServiceRoute(service: string, input: unknown): ServiceRouteSpec {
  const r = serviceRouteSchema.safeParse(input);
  if (r.success) return r.data;
  const detail = r.error.issues.map((i) => `route.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  throw new Error(`invalid route for service "${service}": ${detail}`);
}
