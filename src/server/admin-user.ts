/**
 * The first start makes an admin User (cluster-admin) beside the admin token, with a random
 * password written to `<data-dir>/admin.password` (mode 0600) and returned once to be printed.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { ApiError } from '../api/errors.js';
import { UserKind } from '../api/kinds/tenancy-kinds.js';
import type { LocalClient } from '../client/local-client.js';
import type { UserAccounts } from './user-accounts.js';

/** The admin user's name (the admin token's subject has the same name). */
export const ADMIN_USER = 'admin';

/** Creates the admin user when there is none; returns its password when it made one. */
export async function ensureAdminUser(client: LocalClient, accounts: UserAccounts, passwordFile: string): Promise<{ createdPassword?: string }> {
  try {
    await client.create(UserKind, { apiVersion: UserKind.apiVersion, kind: UserKind.kind, metadata: { name: ADMIN_USER }, spec: { displayName: 'Administrator', clusterRole: 'cluster-admin' } });
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'AlreadyExists') return {};
    throw err;
  }
  const password = randomBytes(18).toString('base64url');
  await accounts.setPassword(ADMIN_USER, password);
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  chmodSync(passwordFile, 0o600);
  return { createdPassword: password };
}
