/**
 * Scoped tokens: bearer tokens that may do only what their record lists (verbs on named objects
 * of some resources, in one project), for machines rather than people: e.g. a replica on a
 * Kubernetes cluster downloading one model from the registry. Like the admin token, only the
 * sha256 is stored (in the store's meta table, so every server process on one database knows it
 * and a revocation holds everywhere at once). Each token belongs to one Capstan object (its
 * owner uid); issuing a new one for the owner revokes the old one.
 */
import type { KindRegistry } from '../api/kind-registry.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceClient } from '../client/resource-client.js';
import type { StorageBackend } from '../store/backend.js';
import { hashToken, newToken, type Action } from './auth.js';

/** One permission: these verbs on these resources (`group/plural`), optionally only some objects. */
export interface TokenRule {
  verbs: Action['verb'][];
  resource: string;
  /** Exact object names. */
  names?: string[];
  /**
   * Only objects whose `spec.model` is this model (a ModelVersion's identity: immutable, unlike
   * its name, which before the registry refused "-v<digit>" in versions could be read as
   * another model's). Decided on the stored object, so the action must carry it.
   */
  model?: string;
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
 * other resource or name, and any verb not listed is refused. A rule with `model` matches only
 * when `object` (the stored object the action names) is given and is that model's; without it
 * the rule does not match, so a caller that cannot read objects fails closed.
 */
export function scopeAllows(scope: TokenScope, action: Action, object?: KubeObject): { allowed: boolean; reason?: string } {
  const what = `${action.verb} ${action.resource}${action.name ? ` ${action.name}` : ''}`;
  if (action.namespace !== scope.namespace) return { allowed: false, reason: `this token is limited to project ${scope.namespace}` };
  for (const r of scope.rules) {
    if (r.resource !== action.resource || !r.verbs.includes(action.verb)) continue;
    // Tokens issued before `model` existed named a model's versions by a name pattern, which other
    // models' versions could match: such a rule allows nothing (its owner re-issues the token).
    if ((r as { namePattern?: unknown }).namePattern !== undefined) continue;
    if (!r.names && r.model === undefined) return { allowed: true };
    if (action.name === undefined) continue;
    if (r.names?.includes(action.name)) return { allowed: true };
    if (r.model !== undefined && object?.metadata.name === action.name && (object.spec as { model?: unknown } | undefined)?.model === r.model) return { allowed: true };
  }
  return { allowed: false, reason: `this token's scope does not include ${what}` };
}

/** Whether deciding `action` under `scope` needs the stored object (a matching rule names a model) (pure). */
export function scopeNeedsObject(scope: TokenScope, action: Action): boolean {
  return action.name !== undefined && action.namespace === scope.namespace && scope.rules.some((r) => r.model !== undefined && r.resource === action.resource && r.verbs.includes(action.verb));
}

/** Reads the object an action names (undefined when there is none). */
export type ActionObjectReader = (action: Action) => Promise<KubeObject | undefined>;

/** Reads an action's object through an in-process client (the group/plural in `resource` names the kind). */
export function actionObjectReader(client: Pick<ResourceClient, 'tryGet'>, kinds: Pick<KindRegistry, 'byPath'>): ActionObjectReader {
  return async (action) => {
    const slash = action.resource.lastIndexOf('/');
    const kind = kinds.byPath(action.resource.slice(0, slash), action.resource.slice(slash + 1));
    if (!kind || action.name === undefined) return undefined;
    return client.tryGet(kind, kind.namespaced ? action.namespace : undefined, action.name);
  };
}

/**
 * A scoped subject's decision, reading the named object first when a rule depends on it
 * (scopeNeedsObject): what an authorizer's asynchronous path calls for scoped tokens.
 */
export async function authorizeScope(scope: TokenScope, action: Action, readObject: ActionObjectReader): Promise<{ allowed: boolean; reason?: string }> {
  const object = scopeNeedsObject(scope, action) ? await readObject(action) : undefined;
  return scopeAllows(scope, action, object);
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
