/**
 * Scoped tokens: bearer tokens that may do only what their record lists (verbs on named objects
 * of some resources, in one project), for machines rather than people: e.g. a replica on a
 * Kubernetes cluster downloading one model from the registry. Like the admin token, only the
 * sha256 is stored (in the store's meta table, so every server process on one database knows it
 * and a revocation holds everywhere at once). Each token belongs to one Capstan object (its
 * owner uid); issuing a new one for the owner revokes the old one.
 */
import type { StorageBackend } from '../store/backend.js';
import { hashToken, newToken, type Action } from './auth.js';

/** One permission: these verbs on these resources (`group/plural`), optionally only some names. */
export interface TokenRule {
  verbs: Action['verb'][];
  resource: string;
  /** Exact object names. */
  names?: string[];
  /** An anchored regular expression object names must match (e.g. a model's version names). */
  namePattern?: string;
}

/** What a scoped token may do: rules, all inside one project. */
export interface TokenScope {
  namespace: string;
  rules: TokenRule[];
}

/** The Capstan object a token was issued for. */
export interface TokenOwner {
  kind: string;
  name: string;
  uid: string;
  namespace?: string;
}

/** A stored token (without the token itself). */
export interface ScopedTokenRecord {
  /** The subject name requests made with it carry. */
  subject: string;
  scope: TokenScope;
  owner: TokenOwner;
  createdAt: string;
  /** Where its plain text was delivered (e.g. the Kubernetes clusters its Secret was applied to). */
  deliveredTo?: string[];
}

const TOKEN_KEY = (hash: string) => `auth/scoped-token/${hash}`;
const OWNER_KEY = (uid: string) => `auth/scoped-token-owner/${uid}`;

/**
 * Pure: whether a scope allows an action. Every subresource of an allowed object is allowed with
 * the same verbs (a model's `artifact` is read with `get`); anything outside the project, any
 * other resource or name, and any verb not listed is refused.
 */
export function scopeAllows(scope: TokenScope, action: Action): { allowed: boolean; reason?: string } {
  const what = `${action.verb} ${action.resource}${action.name ? ` ${action.name}` : ''}`;
  if (action.namespace !== scope.namespace) return { allowed: false, reason: `this token is limited to project ${scope.namespace}` };
  for (const r of scope.rules) {
    if (r.resource !== action.resource || !r.verbs.includes(action.verb)) continue;
    if (!r.names && !r.namePattern) return { allowed: true };
    if (action.name === undefined) continue;
    if (r.names?.includes(action.name)) return { allowed: true };
    if (r.namePattern && new RegExp(r.namePattern).test(action.name)) return { allowed: true };
  }
  return { allowed: false, reason: `this token's scope does not include ${what}` };
}

/** Issues, finds and revokes scoped tokens. */
export class ScopedTokens {
  constructor(private readonly backend: StorageBackend, private readonly now: () => Date = () => new Date()) {}

  /** A new token for `owner` (the previous one of the owner stops working); the only time its plain text exists. */
  async issue(owner: TokenOwner, scope: TokenScope): Promise<string> {
    await this.revokeOwner(owner.uid);
    const token = newToken();
    const hash = hashToken(token);
    const rec: ScopedTokenRecord = { subject: `token:${owner.kind}/${owner.namespace ? `${owner.namespace}/` : ''}${owner.name}`, scope, owner, createdAt: this.now().toISOString() };
    // The record first: an owner key never points at a hash that is not there.
    await this.backend.setMeta(TOKEN_KEY(hash), JSON.stringify(rec));
    await this.backend.setMeta(OWNER_KEY(owner.uid), hash);
    return token;
  }

  /** The record a token names, or undefined (unknown or revoked). */
  async lookup(token: string): Promise<ScopedTokenRecord | undefined> {
    return this.read(hashToken(token));
  }

  /** The current token record of an owner. */
  async ofOwner(uid: string): Promise<ScopedTokenRecord | undefined> {
    const hash = await this.backend.getMeta(OWNER_KEY(uid));
    return hash ? this.read(hash) : undefined;
  }

  /** Records that the owner's token was delivered to `where`. */
  async markDelivered(uid: string, where: string): Promise<void> {
    const hash = await this.backend.getMeta(OWNER_KEY(uid));
    const rec = hash ? await this.read(hash) : undefined;
    if (!hash || !rec || rec.deliveredTo?.includes(where)) return;
    await this.backend.setMeta(TOKEN_KEY(hash), JSON.stringify({ ...rec, deliveredTo: [...(rec.deliveredTo ?? []), where] }));
  }

  /** Revokes the owner's token (the meta table has no delete: an empty value is a tombstone). */
  async revokeOwner(uid: string): Promise<void> {
    const hash = await this.backend.getMeta(OWNER_KEY(uid));
    if (!hash) return;
    await this.backend.setMeta(TOKEN_KEY(hash), '');
    await this.backend.setMeta(OWNER_KEY(uid), '');
  }

  private async read(hash: string): Promise<ScopedTokenRecord | undefined> {
    const v = await this.backend.getMeta(TOKEN_KEY(hash));
    if (!v) return undefined;
    try {
      return JSON.parse(v) as ScopedTokenRecord;
    } catch {
      return undefined;
    }
  }
}
