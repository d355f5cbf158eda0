/**
 * Password hashing with scrypt from node:crypto (memory-hard, no native dependency): each hash
 * carries its parameters and salt, `scrypt$N$r$p$salt$hash` (base64url), so the cost can be
 * raised later without breaking stored hashes. Verification compares in constant time.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

/** Cost parameters: N=2^15, r=8, p=1 (OWASP's scrypt minimum is N=2^17 with r=8 p=1 or an equivalent; 2^15 keeps logins ~50 ms on 2 cores). */
const DEFAULTS = { N: 1 << 15, r: 8, p: 1, keylen: 32 };

/** The longest password accepted (hashing cost is bounded, and nobody types more). */
export const MAX_PASSWORD_LENGTH = 1024;
/** The shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;

/** Why a password is not acceptable, or undefined. */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'password must be a string';
  if (password.length < MIN_PASSWORD_LENGTH) return `password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}

/** A new hash of `password` with a random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p, keylen } = DEFAULTS;
  const key = await scrypt(password, salt, keylen, { N, r, p, maxmem: 256 * N * r });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `password` matches `stored` (false for any malformed stored value). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || N > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length < 16 || password.length > MAX_PASSWORD_LENGTH) return false;
  const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r });
  return timingSafeEqual(key, expected);
}
