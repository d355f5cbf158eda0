/**
 * An in-memory, watch-fed view of who is who: Projects' members, Groups, Users and ApiTokens,
 * with the derived lookups the authorizer needs on every request (a user's groups, cluster role,
 * role in a project) answered from maps. Every server keeps its own copy from the store's watch,
 * so a change made on one server (a token deleted, a user disabled, a member removed) reaches the
 * others as fast as a watch event does.
 */
import type { Logger } from 'pino';
import { ProjectKind } from '../api/kinds/project.js';
import { ApiTokenKind, GroupKind, UserKind } from '../api/kinds/tenancy-kinds.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceClient } from '../client/resource-client.js';
import { Informer } from '../controllers/runtime/informer.js';
import { maxRole, type ClusterRole, type ProjectRole } from '../tenancy/roles.js';

/** A project's members, by user and by group. */
interface Members {
  users: Map<string, ProjectRole>;
  groups: Map<string, ProjectRole>;
}

/** The spec of a User as the index reads it. */
export interface UserSpec {
  disabled?: boolean;
  clusterRole?: ClusterRole;
  displayName?: string;
}

/** The spec of an ApiToken as the index reads it. */
export interface ApiTokenSpec {
  type: 'personal' | 'session' | 'serviceaccount';
  user: string;
  project?: string;
  role?: ProjectRole;
  expiresAt?: string;
  description?: string;
}

/** Watched tenancy objects and the lookups derived from them. */
export class TenancyIndex {
  private readonly projects: Informer;
  private readonly groups: Informer;
  private readonly users: Informer;
  private readonly tokens: Informer;
  private readonly members = new Map<string, Members>();
  private groupsByUser = new Map<string, string[]>();
  private readonly groupRoles = new Map<string, ClusterRole>();

  constructor(private readonly client: ResourceClient, log: Logger) {
    this.projects = new Informer(ProjectKind, client, log);
    this.groups = new Informer(GroupKind, client, log);
    this.users = new Informer(UserKind, client, log);
    this.tokens = new Informer(ApiTokenKind, client, log);
    this.projects.onChange((type, obj) => {
      if (type === 'DELETED') this.members.delete(obj.metadata.name);
      else this.members.set(obj.metadata.name, membersOf(obj));
    });
    this.groups.onChange(() => this.rebuildGroups());
  }

  /** Lists and watches; resolves when every cache holds the initial list. */
  async start(): Promise<void> {
    await Promise.all([this.projects.start(), this.groups.start(), this.users.start(), this.tokens.start()]);
  }

  stop(): void {
    for (const i of [this.projects, this.groups, this.users, this.tokens]) i.stop();
  }

  /** The groups a user belongs to (by Group membership). */
  groupsOf(user: string): string[] {
    return this.groupsByUser.get(user) ?? [];
  }

  /** A user's spec, or undefined when there is no such User. */
  user(name: string): UserSpec | undefined {
    return this.users.get(name)?.spec as UserSpec | undefined;
  }

  /** Every User object. */
  allUsers(): KubeObject[] {
    return this.users.list();
  }

  /** Every Group object. */
  allGroups(): KubeObject[] {
    return this.groups.list();
  }

  /** A project's member entries as written (for the access review). */
  projectMembers(project: string): Array<{ user?: string; group?: string; role: ProjectRole }> {
    const m = this.members.get(project);
    if (!m) return [];
    return [...[...m.users].map(([user, role]) => ({ user, role })), ...[...m.groups].map(([group, role]) => ({ group, role }))];
  }

  /** Whether a project exists (in this server's view). */
  hasProject(project: string): boolean {
    return this.members.has(project);
  }

  /** The strongest cluster role of a user, directly or through a group. */
  clusterRole(user: string, groups: readonly string[]): ClusterRole | undefined {
    let role = (this.users.get(user)?.spec as UserSpec | undefined)?.clusterRole;
    for (const g of groups) {
      const r = this.groupRoles.get(g);
      if (r === 'cluster-admin') return r;
      if (r) role = role ?? r;
    }
    return role;
  }

  /** The strongest role a user has in a project, directly or through a group. */
  projectRole(user: string, groups: readonly string[], project: string): ProjectRole | undefined {
    const m = this.members.get(project);
    if (!m) return undefined;
    let role = m.users.get(user);
    for (const g of groups) role = maxRole(role, m.groups.get(g));
    return role;
  }

  /** An ApiToken by object name from the cache, else from the store (a token made on another server a moment ago). */
  async token(name: string): Promise<KubeObject | undefined> {
    const cached = this.tokens.get(name);
    if (cached) return cached;
    try {
      return await this.client.get(ApiTokenKind, undefined, name);
    } catch {
      return undefined;
    }
  }

  /** Every ApiToken object. */
  allTokens(): KubeObject[] {
    return this.tokens.list();
  }

  private rebuildGroups(): void {
    const byUser = new Map<string, string[]>();
    this.groupRoles.clear();
    for (const g of this.groups.list()) {
      const spec = g.spec as { members?: string[]; clusterRole?: ClusterRole };
      if (spec.clusterRole) this.groupRoles.set(g.metadata.name, spec.clusterRole);
      for (const u of spec.members ?? []) byUser.set(u, [...(byUser.get(u) ?? []), g.metadata.name]);
    }
    this.groupsByUser = byUser;
  }
}

function membersOf(project: KubeObject): Members {
  const m: Members = { users: new Map(), groups: new Map() };
  for (const e of (project.spec as { members?: Array<{ user?: string; group?: string; role: ProjectRole }> }).members ?? []) {
    if (e.user) m.users.set(e.user, maxRole(m.users.get(e.user), e.role)!);
    if (e.group) m.groups.set(e.group, maxRole(m.groups.get(e.group), e.role)!);
  }
  return m;
}
