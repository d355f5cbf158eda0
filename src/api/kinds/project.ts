/** Project: a tenant's namespace. Every namespaced object lives in one. */
import { z } from 'zod';
import { condition } from '../meta.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { projectRole } from './tenancy-kinds.js';

/** The finalizer the Project controller uses to empty a project before it goes. */
export const PROJECT_FINALIZER = 'capstan.dev/project-contents';

const projectStatus = z
  .object({
    phase: z.enum(['Active', 'Terminating']).optional(),
    observedGeneration: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();

/** The Project kind. */
export const ProjectKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Project',
  plural: 'projects',
  singular: 'project',
  shortNames: ['proj', 'ns', 'namespace', 'namespaces'],
  namespaced: false,
  description: 'A tenant: a namespace holding models, services, jobs and queues, with its members and quota.',
  body: z.object({
    spec: z
      .object({
        displayName: z.string().max(200).optional(),
        description: z.string().max(4000).optional(),
        /** Who may do what here (Kubeflow Profile's owner/contributors): a user or a group, and a role. */
        members: z
          .array(
            z
              .object({ user: z.string().min(1).max(253).optional(), group: z.string().min(1).max(253).optional(), role: projectRole })
              .strict()
              .refine((m) => (m.user === undefined) !== (m.group === undefined), { message: 'a member names exactly one of user or group' }),
          )
          .max(1000)
          .optional(),
        /** On Kubernetes: take over a namespace that exists without Capstan's labels (never deleted with the project). */
        adoptNamespace: z.boolean().optional(),
      })
      .strict()
      .default({}),
    status: projectStatus.optional(),
  }),
  status: projectStatus,
  defaultFinalizers: [PROJECT_FINALIZER],
  columns: [
    { name: 'STATUS', value: (o) => String((o.status as { phase?: string } | undefined)?.phase ?? '') },
    { name: 'MEMBERS', value: (o) => String(((o.spec as { members?: unknown[] } | undefined)?.members ?? []).length), wide: true },
    { name: 'DISPLAY NAME', value: (o) => String((o.spec as { displayName?: string } | undefined)?.displayName ?? ''), wide: true },
  ],
});
