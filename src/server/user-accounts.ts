/**
 * Local accounts and tokens: password hashes (scrypt, in the store's meta table beside the User's
 * uid, so a user deleted and made again does not inherit the old password) and the issuing of
 * ApiTokens, whose plain text exists only in the response that creates them.
 */
import { ApiError } from '../api/errors.js';
import { ApiTokenKind, UserKind } from '../api/kinds/tenancy-kinds.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import type { StorageBackend } from '../store/backend.js';
import { CREATED_BY_ANNOTATION } from '../store/object-store.js';
import { hashPassword, passwordProblem, verifyPassword } from '../tenancy/passwords.js';
import { apiTokenName, newToken } from './auth.js';
import type { ApiTokenSpec } from './tenancy-index.js';

const PASSWORD_KEY = (user: string) => `auth/password/${user}`;

/** A hash of a password nobody has, verified when the user has none so timing does not tell. */
let decoyHash: Promise<string> | undefined;

/** Passwords and tokens of local accounts. */
export class UserAccounts {
  constructor(private readonly client: LocalClient, private readonly backend: StorageBackend, private readonly now: () => number = Date.now) {}

  /** Sets a user's password (the User must exist). */
  async setPassword(user: string, password: string): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new ApiError('Invalid', problem, { causes: [{ field: 'password', message: problem }] });
    const obj = await this.client.get(UserKind, undefined, user);
    await this.backend.setMeta(PASSWORD_KEY(user), JSON.stringify({ uid: obj.metadata.uid, hash: await hashPassword(password) }));
    await this.client.patchStatus(UserKind, undefined, user, { passwordSet: true });
  }

  /** The User when `password` is theirs and they may sign in; otherwise why not (the same words whether the user exists or not). */
  async verify(user: string, password: string): Promise<{ user: KubeObject } | { error: string }> {
    const wrong = { error: 'wrong user name or password' };
    let obj: KubeObject | undefined;
    try {
      obj = await this.client.get(UserKind, undefined, user);
    } catch {
      obj = undefined;
    }
    const raw = obj ? await this.backend.getMeta(PASSWORD_KEY(user)) : undefined;
    const rec = raw ? (JSON.parse(raw) as { uid: string; hash: string }) : undefined;
    if (!obj || !rec || rec.uid !== obj.metadata.uid) {
      decoyHash ??= hashPassword('decoy password that nobody has');
      await verifyPassword(password, await decoyHash);
      return wrong;
    }
    if (!(await verifyPassword(password, rec.hash))) return wrong;
    if ((obj.spec as { disabled?: boolean }).disabled) return { error: `user "${user}" is disabled` };
    return { user: obj };
  }

  /** Issues a token: creates its ApiToken object and returns the token (shown once). */
  async issueToken(spec: ApiTokenSpec, createdBy: string): Promise<{ token: string; object: KubeObject }> {
    const token = newToken();
    const object = await this.client.create(ApiTokenKind, {
      apiVersion: ApiTokenKind.apiVersion,
      kind: ApiTokenKind.kind,
      metadata: { name: apiTokenName(token), annotations: { [CREATED_BY_ANNOTATION]: createdBy } },
      spec,
    });
    return { token, object };
  }

  /** Records a successful sign-in on the User. */
  async recordLogin(user: string): Promise<void> {
    await this.client.patchStatus(UserKind, undefined, user, { lastLoginTime: new Date(this.now()).toISOString() });
  }
}
