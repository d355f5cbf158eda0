/**
 * Authentication by bearer token (stored only as sha256 hashes) and the authorizer every
 * request passes: subject × verb × kind × project. Today the admin may do everything; the
 * tenancy work plugs roles into `Authorizer`.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { StorageBackend } from '../store/backend.js';
import { ScopedTokens, scopeAllows, type TokenScope } from './scoped-tokens.js';

/** Who is calling. */
export interface Subject {
  name: string;
  groups: string[];
  /** Set for a scoped token: the subject may do only what it lists (scoped-tokens.ts). */
  scope?: TokenScope;
}

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
}

/** The built-in policy until roles arrive: members of `system:masters` may do everything; a scoped token what its scope lists. */
export class AdminOnlyAuthorizer implements Authorizer {
  async authorize(subject: Subject, action: Action): Promise<{ allowed: boolean; reason?: string }> {
    if (subject.scope) return scopeAllows(subject.scope, action);
    if (subject.groups.includes('system:masters')) return { allowed: true };
    return { allowed: false, reason: `user "${subject.name}" has no role that allows this` };
  }
}

/** sha256 of a token, hex: what the store keeps. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token: 32 bytes, base64url, prefixed so it is recognisable in logs and leaks scanners. */
export function newToken(): string {
  return `cap_${randomBytes(32).toString('base64url')}`;
}

const ADMIN_KEY = 'auth/admin-token-sha256';

/** Maps bearer tokens to subjects using hashes kept in the store's meta table. */
export class TokenAuthenticator {
  private adminHash: Buffer | undefined;
  private readonly scoped: ScopedTokens;

  constructor(private readonly backend: StorageBackend) {
    this.scoped = new ScopedTokens(backend);
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

  /** The subject for an Authorization header value, or undefined when it names nobody. */
  async authenticate(header: string | undefined): Promise<Subject | undefined> {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m || !this.adminHash) return undefined;
    const h = Buffer.from(hashToken(m[1]), 'hex');
    if (h.length === this.adminHash.length && timingSafeEqual(h, this.adminHash)) return { name: 'admin', groups: ['system:masters', 'system:authenticated'] };
    // Looked up by hash (the store keeps no plain text): a scoped token, read fresh so revocation is immediate.
    const rec = await this.scoped.lookup(m[1]);
    if (rec) return { name: rec.subject, groups: ['system:authenticated', 'capstan:scoped-tokens'], scope: rec.scope };
    return undefined;
  }
}
