/**
 * The one authorizer every route passes (API, registry transfers, logs, watches, the dashboard's
 * proxy and the gateway's data plane): resolves the subject's cluster role and project roles from
 * the TenancyIndex and applies the rule table in src/tenancy/roles.ts. Scoped tokens keep their
 * own rule lists; `system:masters` (the admin token) may do everything.
 */
import { ProjectKind } from '../api/kinds/project.js';
import type { KubeObject } from '../api/meta.js';
import { decide, directTokenWrite, projectVisible, type Decision, type SubjectFacts } from '../tenancy/roles.js';
import type { Action, Authorizer, Subject } from './auth.js';
import { authorizeScope, scopeAllows, type ActionObjectReader } from './scoped-tokens.js';
import type { TenancyIndex } from './tenancy-index.js';

/** The lookups the authorizer makes (TenancyIndex provides them). */
export type RoleLookup = Pick<TenancyIndex, 'clusterRole' | 'projectRole'>;

/** Role-based authorization over the tenancy index. */
export class RoleAuthorizer implements Authorizer {
  /** `readObject` lets scoped tokens' model rules see the object they name (scoped-tokens.ts); without it they refuse. */
  constructor(private readonly index: RoleLookup, private readonly readObject?: ActionObjectReader) {}

  async authorize(subject: Subject, action: Action): Promise<Decision> {
    if (subject.scope && this.readObject) {
      const d = await authorizeScope(subject.scope, action, this.readObject);
      return d.allowed ? { allowed: true } : { allowed: false, reason: d.reason ?? 'not allowed' };
    }
    return this.decide(subject, action);
  }

  /** The synchronous decision (the gateway's hot path calls this directly). */
  decide(subject: Subject, action: Action): Decision {
    if (subject.scope) {
      const d = scopeAllows(subject.scope, action);
      return d.allowed ? { allowed: true } : { allowed: false, reason: d.reason ?? 'not allowed' };
    }
    if (subject.groups.includes('system:masters')) return directTokenWrite(action) ?? { allowed: true };
    return decide(this.facts(subject), action);
  }

  listFilter(subject: Subject, resource: string): ((obj: KubeObject) => boolean) | undefined {
    if (resource !== ProjectKind.resource || subject.groups.includes('system:masters')) return undefined;
    return (obj) => this.projectVisible(subject, obj.metadata.name);
  }

  /** Whether a project appears in the subject's project list. */
  projectVisible(subject: Subject, project: string): boolean {
    if (subject.scope) return subject.scope.namespace === project;
    if (subject.groups.includes('system:masters')) return true;
    return projectVisible(this.facts(subject), project);
  }

  /** What the rule table needs to know about a subject. */
  facts(subject: Subject): SubjectFacts {
    const t = subject.token;
    if (t?.type === 'serviceaccount') {
      return { user: subject.name, projectRole: (p) => (p === t.project ? t.role : undefined), limit: { project: t.project, role: t.role } };
    }
    const index = this.index;
    return {
      user: subject.name,
      clusterRole: index.clusterRole(subject.name, subject.groups),
      projectRole: (p) => index.projectRole(subject.name, subject.groups, p),
      ...(t && (t.project !== undefined || t.role !== undefined) ? { limit: { project: t.project, role: t.role } } : {}),
    };
  }
}
