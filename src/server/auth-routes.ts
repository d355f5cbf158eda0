/**
 * The /auth routes: sign-in and sign-out (session cookie with CSRF token, rate-limited with
 * back-off), who am I, personal and service-account tokens, passwords, "can I" and the access
 * review of a project, and the audit log query. Each handler asks the one authorizer itself,
 * since these paths are outside the resource tree the path-based check covers.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseDurationMs } from '../api/duration.js';
import { ApiError, badRequest } from '../api/errors.js';
import type { KindRegistry } from '../api/kind-registry.js';
import { ProjectKind } from '../api/kinds/project.js';
import { ApiTokenKind, projectRole } from '../api/kinds/tenancy-kinds.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import { LoginThrottle } from '../tenancy/login-throttle.js';
import { minRole, PROJECT_ROLE_GRANTS, RULE_TABLE, type ProjectRole } from '../tenancy/roles.js';
import type { AuditLog, AuditRecord } from './audit-log.js';
import { serviceAccountUser, type Action, type Subject } from './auth.js';
import type { RoleAuthorizer } from './role-authorizer.js';
import type { ApiTokenSpec, TenancyIndex } from './tenancy-index.js';
import type { UserAccounts } from './user-accounts.js';

/** Cookie names. */
export const SESSION_COOKIE = 'capstan_session';
export const CSRF_COOKIE = 'capstan_csrf';
/** The header a cookie-authenticated write must carry, equal to the CSRF cookie. */
export const CSRF_HEADER = 'x-capstan-csrf';

/** What the routes need. */
export interface AuthRouteDeps {
  client: LocalClient;
  kinds: KindRegistry;
  index: TenancyIndex;
  authorizer: RoleAuthorizer;
  accounts: UserAccounts;
  audit: AuditLog;
  subjectOf(req: FastifyRequest): Subject | undefined;
  /** Fills the common audit fields (time, source, correlation id) of a request. */
  auditBase(req: FastifyRequest): Pick<AuditRecord, 'time' | 'source' | 'correlationId'>;
  sessionTtlMs: number;
  /** Send cookies with `Secure` (the server is behind TLS). */
  secureCookies: boolean;
  now?: () => number;
  throttle?: LoginThrottle;
}

const loginBody = z
  .object({ user: z.string().min(1).max(253), password: z.string().min(1).max(1024), issueToken: z.boolean().optional(), expires: z.string().max(20).optional() })
  .strict();
const tokenBody = z
  .object({
    description: z.string().max(500).optional(),
    expires: z.string().max(20).optional(),
    project: z.string().max(63).optional(),
    role: projectRole.optional(),
    serviceAccount: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63).optional(),
  })
  .strict();
const passwordBody = z.object({ password: z.string().max(1024), currentPassword: z.string().max(1024).optional() }).strict();
const canIBody = z
  .object({
    verb: z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
    resource: z.string().min(1).max(100),
    namespace: z.string().max(63).optional(),
    name: z.string().max(253).optional(),
    subresource: z.string().max(100).optional(),
    as: z.string().min(1).max(253).optional(),
  })
  .strict();
const auditQuery = z
  .object({
    since: z.string().max(40).optional(),
    until: z.string().max(40).optional(),
    user: z.string().max(300).optional(),
    kind: z.string().max(100).optional(),
    project: z.string().max(63).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    continue: z.string().regex(/^\d{1,15}$/).optional(),
    format: z.enum(['json', 'jsonl']).default('json'),
  })
  .strict();

/** Parses a body with a schema; a 422 names the field. */
function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const causes = r.error.issues.slice(0, 20).map((i) => ({ field: i.path.join('.') || 'body', message: i.message }));
  throw new ApiError('Invalid', `${causes[0].field}: ${causes[0].message}`, { causes });
}

/** When a token made now with `expires` ends: default 30 days, `never` for none, at most 10 years. */
export function tokenExpiry(expires: string | undefined, now: number): string | undefined {
  if (expires === 'never') return undefined;
  const ms = parseDurationMs(expires ?? '30d');
  if (ms === undefined || ms < 60_000 || ms > 3650 * 86_400_000) throw badRequest(`expires must be a duration from 1m to 3650d (e.g. 30d, 12h) or "never", got "${String(expires).slice(0, 20)}"`, 'expires');
  return new Date(now + ms).toISOString();
}

/** Parses a Cookie header into name → value (first occurrence wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (k && !(k in out)) out[k] = part.slice(i + 1).trim();
  }
  return out;
}

/** Registers the /auth routes. */
export function registerAuthRoutes(app: FastifyInstance, d: AuthRouteDeps): void {
  const now = d.now ?? Date.now;
  const throttle = d.throttle ?? new LoginThrottle();
  const need = (req: FastifyRequest): Subject => {
    const s = d.subjectOf(req);
    if (!s) throw new ApiError('Unauthorized', 'sign in or send a bearer token (Authorization: Bearer <token>)');
    return s;
  };
  const must = (s: Subject, action: Action) => {
    const r = d.authorizer.decide(s, action);
    if (!r.allowed) throw new ApiError('Forbidden', `${action.verb} ${action.resource}${action.name ? ` ${action.name}` : ''} is forbidden: ${r.reason}`);
  };
  const audit = (req: FastifyRequest, r: Omit<AuditRecord, 'time' | 'source' | 'correlationId'>) => d.audit.record({ ...d.auditBase(req), ...r });
  const cookie = (name: string, value: string, opts: { httpOnly: boolean; maxAgeS: number }) =>
    `${name}=${value}; Path=/; SameSite=Strict; Max-Age=${opts.maxAgeS}${opts.httpOnly ? '; HttpOnly' : ''}${d.secureCookies ? '; Secure' : ''}`;

  app.post('/auth/login', async (req, reply) => {
    const body = parse(loginBody, req.body);
    const keys = [`user:${body.user}`, `ip:${req.ip}`];
    const wait = throttle.retryAfterMs(keys, now());
    if (wait > 0) {
      audit(req, { user: body.user, verb: 'login', resource: '', outcome: 'denied', code: 429, message: 'too many failed sign-ins' });
      throw new ApiError('TooManyRequests', `too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s`, { retryAfterSeconds: Math.ceil(wait / 1000) });
    }
    const v = await d.accounts.verify(body.user, body.password);
    if ('error' in v) {
      throttle.fail(keys, now());
      audit(req, { user: body.user, verb: 'login', resource: '', outcome: 'denied', code: 401, message: v.error });
      throw new ApiError('Unauthorized', v.error);
    }
    throttle.succeed(`user:${body.user}`);
    const cli = body.issueToken === true;
    const expiresAt = cli ? tokenExpiry(body.expires, now()) : new Date(now() + d.sessionTtlMs).toISOString();
    const spec: ApiTokenSpec = { type: cli ? 'personal' : 'session', user: body.user, ...(expiresAt ? { expiresAt } : {}), description: cli ? 'capstan login' : `dashboard session from ${req.ip}` };
    const { token, object } = await d.accounts.issueToken(spec, body.user);
    await d.accounts.recordLogin(body.user);
    audit(req, { user: body.user, tokenId: object.metadata.name, verb: 'login', resource: '', outcome: 'success', code: 200 });
    if (cli) return { user: body.user, expiresAt, tokenId: object.metadata.name, token };
    const csrf = randomBytes(24).toString('base64url');
    const maxAgeS = Math.floor(d.sessionTtlMs / 1000);
    reply.header('set-cookie', [cookie(SESSION_COOKIE, token, { httpOnly: true, maxAgeS }), cookie(CSRF_COOKIE, csrf, { httpOnly: false, maxAgeS })]);
    return { user: body.user, expiresAt, csrfToken: csrf };
  });

  app.post('/auth/logout', async (req, reply) => {
    const s = need(req);
    if (s.token?.type === 'session') {
      await d.client.delete(ApiTokenKind, undefined, s.token.name).catch(() => undefined);
      audit(req, { user: s.name, tokenId: s.token.name, verb: 'logout', resource: '', outcome: 'success', code: 200 });
    }
    reply.header('set-cookie', [cookie(SESSION_COOKIE, '', { httpOnly: true, maxAgeS: 0 }), cookie(CSRF_COOKIE, '', { httpOnly: false, maxAgeS: 0 })]);
    return { signedOut: true };
  });

  app.get('/auth/whoami', async (req) => {
    const s = need(req);
    const facts = d.authorizer.facts(s);
    const admin = s.groups.includes('system:masters');
    const projects = (await d.client.list(ProjectKind, {})).items
      .filter((p) => d.authorizer.projectVisible(s, p.metadata.name))
      .map((p) => ({ name: p.metadata.name, role: admin || facts.clusterRole === 'cluster-admin' ? 'admin' : roleIn(facts.projectRole(p.metadata.name), facts.limit?.role) ?? 'viewer' }));
    return { user: s.name, groups: s.groups, clusterRole: admin ? 'cluster-admin' : facts.clusterRole, token: s.token, projects };
  });

  app.get('/auth/tokens', async (req) => {
    const s = need(req);
    const all = (req.query as { all?: string }).all === 'true';
    if (all) must(s, { verb: 'list', resource: ApiTokenKind.resource });
    const items = d.index.allTokens().filter((t) => all || (t.spec as ApiTokenSpec).user === s.name).map(tokenView);
    return { items };
  });

  app.post('/auth/tokens', async (req, reply) => {
    const s = need(req);
    const body = parse(tokenBody, req.body);
    const expiresAt = tokenExpiry(body.expires, now());
    let spec: ApiTokenSpec;
    if (body.serviceAccount !== undefined) {
      if (!body.project || !body.role) throw badRequest('a service-account token needs project and role', body.project ? 'role' : 'project');
      await d.client.get(ProjectKind, undefined, body.project);
      // Managing a project's automation is the project admin's.
      must(s, { verb: 'update', resource: ProjectKind.resource, name: body.project });
      spec = { type: 'serviceaccount', user: serviceAccountUser(body.project, body.serviceAccount), project: body.project, role: body.role };
    } else {
      if (s.scope || s.token?.type === 'serviceaccount' || (!d.index.user(s.name) && !s.groups.includes('system:masters'))) {
        throw new ApiError('Forbidden', `only a user may hold personal tokens (you are "${s.name}")`);
      }
      if (body.project) await d.client.get(ProjectKind, undefined, body.project);
      // A token never reaches further than the credentials that made it.
      const project = s.token?.project ?? body.project;
      if (s.token?.project && body.project && body.project !== s.token.project) throw new ApiError('Forbidden', `this token is limited to project ${s.token.project}`);
      const role = s.token?.role ? minRole(s.token.role, body.role) : body.role;
      spec = { type: 'personal', user: s.name, ...(project ? { project } : {}), ...(role ? { role } : {}) };
    }
    const { token, object } = await d.accounts.issueToken({ ...spec, ...(expiresAt ? { expiresAt } : {}), ...(body.description ? { description: body.description } : {}) }, s.name);
    audit(req, { user: s.name, tokenId: s.token?.name, verb: 'issue-token', resource: ApiTokenKind.resource, kind: 'ApiToken', name: object.metadata.name, uid: object.metadata.uid, namespace: spec.project, outcome: 'success', code: 201, diff: { type: spec.type, user: spec.user, project: spec.project, role: spec.role, expiresAt } });
    return reply.code(201).send({ ...tokenView(object), token });
  });

  app.delete('/auth/tokens/:id', async (req) => {
    const s = need(req);
    const id = (req.params as { id: string }).id;
    const obj = /^tok-[0-9a-f]{40}$/.test(id) ? await d.index.token(id) : undefined;
    if (!obj) throw new ApiError('NotFound', `token "${id.slice(0, 60)}" not found`);
    const spec = obj.spec as ApiTokenSpec;
    if (spec.user !== s.name) {
      if (spec.type === 'serviceaccount' && spec.project) must(s, { verb: 'update', resource: ProjectKind.resource, name: spec.project });
      else must(s, { verb: 'delete', resource: ApiTokenKind.resource, name: id });
    }
    await d.client.delete(ApiTokenKind, undefined, id);
    audit(req, { user: s.name, tokenId: s.token?.name, verb: 'revoke-token', resource: ApiTokenKind.resource, kind: 'ApiToken', name: id, uid: obj.metadata.uid, namespace: spec.project, outcome: 'success', code: 200 });
    return { revoked: id };
  });

  app.put('/auth/users/:name/password', async (req) => {
    const s = need(req);
    const name = (req.params as { name: string }).name;
    const body = parse(passwordBody, req.body);
    const isAdmin = d.authorizer.decide(s, { verb: 'update', resource: 'capstan.dev/users', name }).allowed;
    if (!isAdmin) {
      if (s.name !== name || s.token?.project !== undefined) throw new ApiError('Forbidden', `only ${name} or a cluster admin may set ${name}'s password`);
      const ok = body.currentPassword !== undefined && !('error' in (await d.accounts.verify(name, body.currentPassword)));
      if (!ok) throw new ApiError('Forbidden', 'currentPassword is wrong', { causes: [{ field: 'currentPassword', message: 'does not match' }] });
    }
    await d.accounts.setPassword(name, body.password);
    audit(req, { user: s.name, tokenId: s.token?.name, verb: 'set-password', resource: 'capstan.dev/users', kind: 'User', name, outcome: 'success', code: 200 });
    return { user: name, passwordSet: true };
  });

  app.post('/auth/can-i', async (req) => {
    const s = need(req);
    const body = parse(canIBody, req.body);
    const kind = d.kinds.find(body.resource);
    if (!kind) throw badRequest(`no kind "${body.resource.slice(0, 60)}" is registered`, 'resource');
    let who = s;
    if (body.as !== undefined) {
      must(s, { verb: 'get', resource: 'capstan.dev/users', name: body.as });
      if (!d.authorizer.decide(s, { verb: 'update', resource: 'capstan.dev/users', name: body.as }).allowed) throw new ApiError('Forbidden', 'only cluster admins may ask on behalf of another user (as)');
      who = { name: body.as, groups: ['system:authenticated', ...d.index.groupsOf(body.as)] };
    }
    const action: Action = { verb: body.verb, resource: kind.resource, ...(kind.namespaced && body.namespace ? { namespace: body.namespace } : {}), ...(body.name ? { name: body.name } : {}), ...(body.subresource ? { subresource: body.subresource } : {}) };
    const r = d.authorizer.decide(who, action);
    return { user: who.name, action, allowed: r.allowed, ...(r.allowed ? {} : { reason: r.reason }) };
  });

  app.get('/auth/access-review', async (req) => {
    const s = need(req);
    const project = String((req.query as { project?: string }).project ?? '');
    if (!project) throw badRequest('project is required', 'project');
    await d.client.get(ProjectKind, undefined, project);
    must(s, { verb: 'get', resource: ProjectKind.resource, name: project });
    const grants = (role: ProjectRole) => PROJECT_ROLE_GRANTS[role];
    const members = d.index.projectMembers(project).map((m) => ({
      ...(m.user ? { user: m.user } : { group: m.group, members: (d.index.allGroups().find((g) => g.metadata.name === m.group)?.spec as { members?: string[] } | undefined)?.members ?? [] }),
      role: m.role,
      grants: grants(m.role),
    }));
    const clusterWide = [
      ...d.index.allUsers().filter((u) => (u.spec as { clusterRole?: string }).clusterRole).map((u) => ({ user: u.metadata.name, clusterRole: (u.spec as { clusterRole: string }).clusterRole })),
      ...d.index.allGroups().filter((g) => (g.spec as { clusterRole?: string }).clusterRole).map((g) => ({ group: g.metadata.name, clusterRole: (g.spec as { clusterRole: string }).clusterRole })),
    ];
    const serviceAccounts = d.index
      .allTokens()
      .filter((t) => (t.spec as ApiTokenSpec).type === 'serviceaccount' && (t.spec as ApiTokenSpec).project === project)
      .map((t) => ({ serviceAccount: (t.spec as ApiTokenSpec).user, role: (t.spec as ApiTokenSpec).role, tokenId: t.metadata.name, expiresAt: (t.spec as ApiTokenSpec).expiresAt }));
    return { project, members, clusterWide, serviceAccounts, rules: RULE_TABLE };
  });

  app.get('/auth/audit', async (req, reply: FastifyReply) => {
    const s = need(req);
    const q = parse(auditQuery, req.query);
    if (q.project) must(s, { verb: 'update', resource: ProjectKind.resource, name: q.project });
    else must(s, { verb: 'list', resource: 'capstan.dev/users' });
    const kind = q.kind ? d.kinds.find(q.kind) : undefined;
    if (q.kind && !kind) throw badRequest(`no kind "${q.kind.slice(0, 60)}" is registered`, 'kind');
    const page = await d.audit.query({ since: timeArg(q.since, now(), 'since'), until: timeArg(q.until, now(), 'until'), user: q.user, resource: kind?.resource, namespace: q.project, limit: q.limit, continue: q.continue });
    if (q.format === 'jsonl') {
      reply.type('application/x-ndjson');
      return page.items.map((i) => JSON.stringify(i)).join('\n') + (page.items.length ? '\n' : '');
    }
    return page;
  });
}

function roleIn(role: ProjectRole | undefined, limit: ProjectRole | undefined): ProjectRole | undefined {
  return role === undefined ? undefined : minRole(role, limit);
}

/** `1h` (ago) or an ISO time → ISO time. */
function timeArg(v: string | undefined, now: number, field: string): string | undefined {
  if (v === undefined) return undefined;
  const ms = parseDurationMs(v);
  if (ms !== undefined) return new Date(now - ms).toISOString();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`${field} must be a duration ago (1h, 7d) or an ISO time`, field);
  return new Date(t).toISOString();
}

function tokenView(t: KubeObject) {
  const spec = t.spec as ApiTokenSpec;
  return {
    id: t.metadata.name,
    type: spec.type,
    user: spec.user,
    ...(spec.project ? { project: spec.project } : {}),
    ...(spec.role ? { role: spec.role } : {}),
    ...(spec.description ? { description: spec.description } : {}),
    expiresAt: spec.expiresAt ?? null,
    createdAt: t.metadata.creationTimestamp,
    lastUsedTime: (t.status as { lastUsedTime?: string } | undefined)?.lastUsedTime ?? null,
  };
}
