/**
 * Authentication: bearer tokens (stored only as sha256 hashes) and session cookies, mapped to a
 * Subject; the Authorizer every request passes (subject × verb × kind × project) is
 * role-authorizer.ts. Kinds of credentials, in the order they are tried:
 * - the admin token (a hash in the meta table; `system:masters`);
 * - an ApiToken (personal, session or service account): its object's name is derived from the
 *   token's sha256, so a lookup is one hash and one map read, and deleting the object revokes it
 *   on every server as soon as the watch delivers the deletion;
 * - a scoped token (scoped-tokens.ts: machines, e.g. a replica pulling its model).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KubeObject } from '../api/meta.js';
import type { StorageBackend } from '../store/backend.js';
import type { ProjectRole } from '../tenancy/roles.js';
import { ScopedTokens, type TokenScope } from './scoped-tokens.js';
import type { ApiTokenSpec, TenancyIndex } from './tenancy-index.js';

/** What an ApiToken limits its holder to. */
export interface TokenLimits {
  /** The ApiToken object's name (its id; never the token). */
  name: string;
  type: ApiTokenSpec['type'];
  project?: string;
  role?: ProjectRole;
}

/** Who is calling. */
export interface Subject {
  name: string;
  groups: string[];
  /** Set for a scoped token: the subject may do only what it lists (scoped-tokens.ts). */
  scope?: TokenScope;
  /** Set for an ApiToken: its limits. */
  token?: TokenLimits;
}

/** The outcome of authenticating a request that carried credentials. */
export type AuthResult = { subject: Subject } | { error: string };

/** What is being done, as Kubernetes RBAC spells it. */
export interface Action {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Decides whether a subject may perform an action. */
export interface Authorizer {
  authorize(subject: Subject, action: Action): Promise<{ allowed: boolean; reason?: string }>;
  /** Which objects of a permitted list the subject sees (Projects: those they have a role in); undefined shows all. */
  listFilter?(subject: Subject, resource: string): ((obj: KubeObject) => boolean) | undefined;
}

/** sha256 of a token, hex: what the store keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token: 32 bytes, base64url, prefixed so it is recognisable in logs and leaks scanners. */
export function newToken(): string {
  return `cap_${randomBytes(32).toString('base64url')}`;
}

/** The ApiToken object name for a token: `tok-` and 40 hex digits of its sha256 (160 bits; not invertible). */
export function apiTokenName(token: string): string {
  return `tok-${hashToken(token).slice(0, 40)}`;
}

/** The user name a service account's tokens act as. */
export function serviceAccountUser(project: string, name: string): string {
  return `system:serviceaccount:${project}:${name}`;
}

const ADMIN_KEY = 'auth/admin-token-sha256';

/** How often a token's status.lastUsedTime is written at most. */
const LAST_USED_EVERY_MS = 60_000;

/** Maps bearer tokens and session cookies to subjects. */
export class TokenAuthenticator {
  private adminHash: Buffer | undefined;
  private readonly scoped: ScopedTokens;
  private index: TenancyIndex | undefined;
  private onTokenUsed: ((name: string, at: Date) => void) | undefined;
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(private readonly backend: StorageBackend, private readonly now: () => number = Date.now) {
    this.scoped = new ScopedTokens(backend);
  }

  /** Turns on ApiTokens and users: the index to read them from, and where to record a token's use. */
  useTenancy(index: TenancyIndex, onTokenUsed: (name: string, at: Date) => void): void {
    this.index = index;
    this.onTokenUsed = onTokenUsed;
  }

  /**
   * Loads the admin token hash; on first start makes a token and returns it in plain text
   * (the only time it exists outside the caller's file). `fixedToken` lets operators choose it.
   */
  async init(fixedToken?: string): Promise<{ createdToken?: string }> {
    if (fixedToken) {
      await this.backend.setMeta(ADMIN_KEY, hashToken(fixedToken));
      this.adminHash = Buffer.from(hashToken(fixedToken), 'hex');
      return {};
    }
    const stored = await this.backend.getMeta(ADMIN_KEY);
    if (stored) {
      this.adminHash = Buffer.from(stored, 'hex');
      return {};
    }
    const token = newToken();
    await this.backend.setMeta(ADMIN_KEY, hashToken(token));
    this.adminHash = Buffer.from(hashToken(token), 'hex');
    return { createdToken: token };
  }

  /** The bearer token of an Authorization header value, or undefined. */
  static bearer(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : undefined;
  }

  /** The subject for an Authorization header value, or undefined when it names nobody. */
  async authenticate(header: string | undefined): Promise<Subject | undefined> {
    const token = TokenAuthenticator.bearer(header);
    if (token === undefined) return undefined;
    const r = await this.authenticateToken(token);
    return r && 'subject' in r ? r.subject : undefined;
  }

  /** The subject a token names, an error saying why it does not (never quoting it), or undefined for an unknown token. */
  async authenticateToken(token: string): Promise<AuthResult | undefined> {
    if (!this.adminHash || token.length > 512) return undefined;
    const hex = hashToken(token);
    const h = Buffer.from(hex, 'hex');
    if (h.length === this.adminHash.length && timingSafeEqual(h, this.adminHash)) return { subject: { name: 'admin', groups: ['system:masters', 'system:authenticated'] } };
    if (this.index) {
      const obj = await this.index.token(`tok-${hex.slice(0, 40)}`);
      if (obj) return this.fromApiToken(obj);
    }
    // Looked up by hash (the store keeps no plain text): a scoped token, read fresh so revocation is immediate.
    const rec = await this.scoped.lookup(token);
    if (rec) return { subject: { name: rec.subject, groups: ['system:authenticated', 'capstan:scoped-tokens'], scope: rec.scope } };
    return undefined;
  }

  private fromApiToken(obj: KubeObject): AuthResult {
    const spec = obj.spec as ApiTokenSpec;
    const now = this.now();
    if (obj.metadata.deletionTimestamp) return { error: 'the token was revoked' };
    if (spec.expiresAt && Date.parse(spec.expiresAt) <= now) return { error: `the token expired at ${spec.expiresAt}` };
    const index = this.index!;
    const limits: TokenLimits = { name: obj.metadata.name, type: spec.type, ...(spec.project ? { project: spec.project } : {}), ...(spec.role ? { role: spec.role } : {}) };
    let groups: string[];
    if (spec.type === 'serviceaccount') {
      groups = ['system:authenticated', 'system:serviceaccounts', `system:serviceaccounts:${spec.project}`];
    } else {
      const user = index.user(spec.user);
      if (!user) return { error: `user "${spec.user}" no longer exists` };
      if (user.disabled) return { error: `user "${spec.user}" is disabled` };
      groups = ['system:authenticated', ...index.groupsOf(spec.user)];
    }
    const last = this.lastUsedWritten.get(obj.metadata.name) ?? 0;
    if (now - last >= LAST_USED_EVERY_MS) {
      this.lastUsedWritten.set(obj.metadata.name, now);
      if (this.lastUsedWritten.size > 100_000) this.lastUsedWritten.clear();
      this.onTokenUsed?.(obj.metadata.name, new Date(now));
    }
    return { subject: { name: spec.user, groups, token: limits } };
  }
}
