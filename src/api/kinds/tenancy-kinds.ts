/**
 * The tenancy kinds: who may sign in (User), sets of users (Group) and the personal, session and
 * service-account tokens they hold (ApiToken). Roles per project live on Project.spec.members;
 * cluster-wide roles on User/Group.spec.clusterRole. Secrets (password hashes, token values)
 * are never part of an object: passwords are scrypt hashes in the store's meta table, and a token
 * is known only by the sha256 its object's name is derived from.
 */
import { z } from 'zod';
import type { Kind } from '../kind.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { condition } from '../meta.js';

/** Roles a project member can hold, weakest first. */
export const PROJECT_ROLES = ['viewer', 'editor', 'admin'] as const;
/** Cluster-wide roles. */
export const CLUSTER_ROLES = ['cluster-viewer', 'cluster-admin'] as const;

export const projectRole = z.enum(PROJECT_ROLES);
export const clusterRole = z.enum(CLUSTER_ROLES);

const userStatus = z
  .object({
    passwordSet: z.boolean().optional(),
    lastLoginTime: z.string().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();

/** A person who signs in with a password (or, later, through an identity provider). */
export const UserKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'User',
  plural: 'users',
  singular: 'user',
  namespaced: false,
  description: 'A person: local account (password kept as an scrypt hash outside the object) or an identity provider subject; disabled users cannot sign in or use their tokens.',
  body: z.object({
    spec: z
      .object({
        displayName: z.string().max(200).optional(),
        email: z.string().max(320).optional(),
        disabled: z.boolean().default(false),
        /** A cluster-wide role on top of per-project roles. */
        clusterRole: clusterRole.optional(),
        /** Where the identity comes from: local password, or an OIDC issuer (subject claim in `subject`). */
        identity: z
          .object({ provider: z.enum(['local', 'oidc']).default('local'), issuer: z.string().max(500).optional(), subject: z.string().max(500).optional() })
          .strict()
          .default({ provider: 'local' }),
      })
      .strict()
      .default({ disabled: false, identity: { provider: 'local' } }),
    status: userStatus.optional(),
  }),
  status: userStatus,
  columns: [
    { name: 'DISABLED', value: (o) => String((o.spec as { disabled?: boolean }).disabled ?? false) },
    { name: 'CLUSTER ROLE', value: (o) => String((o.spec as { clusterRole?: string }).clusterRole ?? '') },
    { name: 'LAST LOGIN', value: (o) => String((o.status as { lastLoginTime?: string } | undefined)?.lastLoginTime ?? ''), wide: true },
  ],
});

/** A set of users; roles given to a group apply to every member. */
export const GroupKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Group',
  plural: 'groups',
  singular: 'group',
  namespaced: false,
  description: 'A set of users (by User name); project members and cluster roles may name a group instead of each user.',
  body: z.object({
    spec: z
      .object({
        description: z.string().max(4000).optional(),
        members: z.array(z.string().min(1).max(253)).max(10_000).default([]),
        clusterRole: clusterRole.optional(),
      })
      .strict()
      .default({ members: [] }),
  }),
  columns: [
    { name: 'MEMBERS', value: (o) => String(((o.spec as { members?: string[] }).members ?? []).length) },
    { name: 'CLUSTER ROLE', value: (o) => String((o.spec as { clusterRole?: string }).clusterRole ?? '') },
  ],
});

const tokenStatus = z.object({ lastUsedTime: z.string().optional() }).strict();

/** A bearer token's record: whose it is, what it is limited to, when it expires. */
export const ApiTokenKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'ApiToken',
  plural: 'apitokens',
  singular: 'apitoken',
  shortNames: ['token', 'tokens'],
  namespaced: false,
  description: 'A personal, session or service-account bearer token (the token itself is never stored: the name is derived from its sha256). Made through /auth/tokens and /auth/login; deleting it revokes it on every server.',
  body: z.object({
    spec: z
      .object({
        type: z.enum(['personal', 'session', 'serviceaccount']),
        /** The user it acts as; for a service account, `system:serviceaccount:<project>:<name>`. */
        user: z.string().min(1).max(300),
        /** Limited to this project (required for service accounts). */
        project: z.string().max(63).optional(),
        /** At most this role there (the holder's own role still bounds it). */
        role: projectRole.optional(),
        expiresAt: z.string().datetime().optional(),
        description: z.string().max(500).optional(),
      })
      .strict(),
    status: tokenStatus.optional(),
  }),
  status: tokenStatus,
  columns: [
    { name: 'TYPE', value: (o) => String((o.spec as { type: string }).type) },
    { name: 'USER', value: (o) => String((o.spec as { user: string }).user) },
    { name: 'PROJECT', value: (o) => String((o.spec as { project?: string }).project ?? '*') },
    { name: 'ROLE', value: (o) => String((o.spec as { role?: string }).role ?? '') },
    { name: 'EXPIRES', value: (o) => String((o.spec as { expiresAt?: string }).expiresAt ?? 'never') },
    { name: 'LAST USED', value: (o) => String((o.status as { lastUsedTime?: string } | undefined)?.lastUsedTime ?? ''), wide: true },
  ],
});

/** Every tenancy kind. */
export const TENANCY_KINDS: Kind[] = [UserKind, GroupKind, ApiTokenKind];
