/**
 * The rule table: which verbs on which kinds and subresources each role grants. Pure: the
 * authorizer resolves who the subject is (cluster role, role in the action's project, token
 * limits) and asks `decide`; the access review and `capstan auth can-i` read the same table.
 * docs/tenancy.md prints it.
 */

export type ProjectRole = 'viewer' | 'editor' | 'admin';
export type ClusterRole = 'cluster-viewer' | 'cluster-admin';
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** What is being done (as the server's Action, restated so this core imports nothing). */
export interface RuleAction {
  verb: Verb;
  /** `group/plural`. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Everything the decision needs to know about the subject. */
export interface SubjectFacts {
  /** The subject's own user name (for "a user may read their own User"). */
  user: string;
  clusterRole?: ClusterRole;
  /** The subject's role in a project (from members, directly or through groups). */
  projectRole(project: string): ProjectRole | undefined;
  /** A token's limits: only this project, at most this role. */
  limit?: { project?: string; role?: ProjectRole };
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const RANK: Record<ProjectRole, number> = { viewer: 1, editor: 2, admin: 3 };
const READ = new Set<Verb>(['get', 'list', 'watch']);

/** The weaker of two roles. */
export function minRole(a: ProjectRole, b: ProjectRole | undefined): ProjectRole {
  return b !== undefined && RANK[b] < RANK[a] ? b : a;
}

/** The stronger of two roles. */
export function maxRole(a: ProjectRole | undefined, b: ProjectRole | undefined): ProjectRole | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return RANK[b] > RANK[a] ? b : a;
}

/** Cluster-scoped kinds every signed-in subject may read: the queues and flavors they submit to. */
export const SHARED_CATALOG = new Set(['capstan.dev/clusterqueues', 'capstan.dev/resourceflavors', 'capstan.dev/workloadpriorityclasses']);
/** Tokens are made only through /auth/tokens and /auth/login (which hold the secret); the generic routes may read and delete them. */
const TOKENS = 'capstan.dev/apitokens';
const PROJECTS = 'capstan.dev/projects';

/** The kind of access an action needs inside a project. */
export type AccessClass = 'read' | 'infer' | 'write' | 'manage';

/** Classifies a project-scoped action: reading (any subresource), inference, writing, or managing the project. */
export function accessClass(action: RuleAction): AccessClass {
  if (action.subresource === 'infer') return 'infer';
  // The dashboard's "try it" proxy to a service's OIP/V1 endpoints is inference too.
  if (action.resource === 'capstan.dev/inferenceservices' && action.subresource?.startsWith('proxy/')) return 'infer';
  if (action.resource === PROJECTS) return READ.has(action.verb) ? 'read' : 'manage';
  if (action.resource === TOKENS || action.subresource === 'audit') return 'manage';
  return READ.has(action.verb) ? 'read' : 'write';
}

/** What each project role grants (the table docs/tenancy.md shows). */
export const PROJECT_ROLE_GRANTS: Record<ProjectRole, AccessClass[]> = {
  viewer: ['read', 'infer'],
  editor: ['read', 'infer', 'write'],
  admin: ['read', 'infer', 'write', 'manage'],
};

/** Rows of the documented rule table: role → what it may do. */
export const RULE_TABLE: Array<{ role: ProjectRole | ClusterRole | 'signed-in'; grants: string }> = [
  { role: 'viewer', grants: 'get/list/watch every kind in the project and every read subresource (status, log, metrics, artifact download, versions, aliases); infer on its InferenceServices; get the Project' },
  { role: 'editor', grants: 'viewer + create/update/patch/delete every kind in the project and its write subresources (status, artifact upload, versions, aliases, rollback, rollout, scale, proxy)' },
  { role: 'admin', grants: "editor + update/patch the Project (members), the project's service-account tokens, the project's audit log" },
  { role: 'cluster-viewer', grants: 'get/list/watch everything in every project and every cluster-scoped kind (Users, Groups, ApiTokens, Nodes, Clusters...); infer everywhere' },
  { role: 'cluster-admin', grants: 'everything, including creating and deleting Projects, Users, Groups and cluster kinds, and the whole audit log' },
  { role: 'signed-in', grants: 'list Projects (only those with a role), get own User, read ClusterQueues/ResourceFlavors/WorkloadPriorityClasses, own tokens, whoami, can-i' },
];

/**
 * Decides one action. Order: cluster-admin (within a token's project limit) → project role
 * (bounded by the token's role) → cluster-viewer reads → what every signed-in subject may do.
 */
export function decide(facts: SubjectFacts, action: RuleAction): Decision {
  const what = `${action.verb} ${action.resource.replace(/^capstan\.dev\//, '')}${action.subresource ? `/${action.subresource}` : ''}`;
  const lim = facts.limit;
  const direct = directTokenWrite(action);
  if (direct) return direct;
  const ns = action.namespace ?? (action.resource === PROJECTS ? action.name : undefined);
  if (lim?.project !== undefined && ns !== lim.project) {
    if (ns === undefined && signedInMay(facts, action)) return { allowed: true };
    return { allowed: false, reason: `this token is limited to project ${lim.project}` };
  }
  if (facts.clusterRole === 'cluster-admin' && lim?.role === undefined) return { allowed: true };
  if (ns !== undefined && !(action.resource === PROJECTS && (action.verb === 'create' || action.verb === 'delete'))) {
    let role = facts.clusterRole === 'cluster-admin' ? 'admin' : facts.projectRole(ns);
    if (role === undefined && facts.clusterRole === 'cluster-viewer') role = 'viewer';
    if (role !== undefined) {
      const effective = minRole(role as ProjectRole, lim?.role);
      const need = accessClass(action);
      if (PROJECT_ROLE_GRANTS[effective].includes(need)) return { allowed: true };
      return { allowed: false, reason: `role ${effective} in project ${ns} does not allow ${what}` };
    }
  }
  if (ns === undefined && facts.clusterRole === 'cluster-viewer' && READ.has(action.verb) && lim === undefined) return { allowed: true };
  if (signedInMay(facts, action)) return { allowed: true };
  if (ns !== undefined) return { allowed: false, reason: `user "${facts.user}" has no role in project ${ns}` };
  return { allowed: false, reason: `user "${facts.user}" may not ${what}` };
}

/** Refuses writing ApiTokens through the generic routes (whoever asks: the token's secret would not exist). */
export function directTokenWrite(action: RuleAction): Decision | undefined {
  if (action.resource === TOKENS && (action.verb === 'create' || action.verb === 'update' || action.verb === 'patch')) {
    return { allowed: false, reason: 'tokens are issued through /auth/tokens (capstan tokens create), not written directly' };
  }
  return undefined;
}

/** What any signed-in subject may do outside projects. */
function signedInMay(facts: SubjectFacts, action: RuleAction): boolean {
  if (!READ.has(action.verb) || action.subresource !== undefined && action.subresource !== 'status') return false;
  if (SHARED_CATALOG.has(action.resource)) return true;
  // The list is filtered to the projects the subject has a role in (projectListFilter).
  if (action.resource === PROJECTS && action.name === undefined) return true;
  if (action.resource === 'capstan.dev/users' && action.name === facts.user && action.verb === 'get') return true;
  return false;
}

/** Whether an object of the project list is shown to the subject (cluster roles see all). */
export function projectVisible(facts: SubjectFacts, project: string): boolean {
  if (facts.limit?.project !== undefined && facts.limit.project !== project) return false;
  if (facts.clusterRole !== undefined) return true;
  return facts.projectRole(project) !== undefined;
}
