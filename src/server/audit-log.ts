/**
 * The audit log: every mutation (and login, failed login, token issue and revoke) as a record of
 * who, when, what, from where, with what outcome and which spec change, under a correlation id
 * that links the requests and controller actions of one flow. Records are buffered and written in
 * batches (every `flushMs`, or sooner when `maxBuffer` are waiting; on SQLite they join the store's next
 * group commit) so the API's write path pays no fsync of its own per request; a kill -9 loses at
 * most the last `flushMs` of records (docs/tenancy.md).
 * Secrets never reach it: values under secret-looking keys and anything shaped like a Capstan
 * token are replaced before a record is buffered.
 */
import type { Logger } from 'pino';
import type { AuditQuery, StorageBackend } from '../store/backend.js';

/** One audited action. */
export interface AuditRecord {
  time: string;
  user: string;
  /** The ApiToken id used (never the token), when one was. */
  tokenId?: string;
  verb: string;
  /** `group/plural`, or '' for actions outside the resource tree. */
  resource: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  subresource?: string;
  /** Client address (and X-Forwarded-For when behind a proxy). */
  source: string;
  outcome: 'success' | 'denied' | 'failure';
  code: number;
  /** The error message, for denied and failed actions. */
  message?: string;
  correlationId: string;
  /** What changed in the spec (created objects: the spec; updates: changed paths; patches: the patch). */
  diff?: unknown;
}

/** A page of audit records, newest first. */
export interface AuditPage {
  items: Array<AuditRecord & { id: number }>;
  /** Pass back as `continue` for the next (older) page. */
  continue?: string;
}

const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|cookie|private.?key/i;
const TOKEN_SHAPE = /cap_[A-Za-z0-9_-]{20,}/g;
const MAX_STRING = 2048;
const MAX_DEPTH = 12;
const MAX_KEYS = 200;

/** A copy of `value` with secrets replaced and sizes bounded (for audit records and anything else that is kept). */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const s = value.replace(TOKEN_SHAPE, '<redacted>');
    return s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…` : s;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '<truncated>';
  if (Array.isArray(value)) return value.slice(0, MAX_KEYS).map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, MAX_KEYS)) out[k] = SECRET_KEY.test(k) ? '<redacted>' : redactSecrets(v, depth + 1);
  return out;
}

/** Changed leaf paths between two specs: `{ "replicas": {from: 1, to: 2} }` (arrays compare whole). */
export function specDiff(before: unknown, after: unknown, path = '', out: Record<string, { from?: unknown; to?: unknown }> = {}): Record<string, { from?: unknown; to?: unknown }> {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (Object.keys(out).length >= MAX_KEYS) break;
      specDiff(before[k], after[k], path ? `${path}.${k}` : k, out);
    }
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out[path || '.'] = { ...(before !== undefined ? { from: before } : {}), ...(after !== undefined ? { to: after } : {}) };
  return out;
}

/** Options of the audit log. */
export interface AuditLogOptions {
  flushMs?: number;
  maxBuffer?: number;
  /** False keeps nothing (to measure the log's cost). */
  enabled?: boolean;
}

/** Buffers audit records and writes them to the store in batches. */
export class AuditLog {
  private buffer: AuditRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushMs: number;
  private readonly maxBuffer: number;
  private readonly enabled: boolean;

  constructor(private readonly backend: StorageBackend, opts: AuditLogOptions = {}, private readonly log?: Logger) {
    this.flushMs = opts.flushMs ?? 50;
    this.maxBuffer = opts.maxBuffer ?? 1000;
    this.enabled = opts.enabled ?? true;
  }

  /** Queues a record (its diff and message are redacted here). */
  record(r: AuditRecord): void {
    if (!this.enabled) return;
    const clean: AuditRecord = { ...r, ...(r.diff !== undefined ? { diff: redactSecrets(r.diff) } : {}), ...(r.message !== undefined ? { message: String(redactSecrets(r.message)) } : {}) };
    this.buffer.push(clean);
    if (this.buffer.length >= this.maxBuffer) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; resolves when it is in the store. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.buffer;
    this.buffer = [];
    if (!batch.length) return this.flushing;
    const rows = batch.map((r) => ({ time: r.time, user: r.user, verb: r.verb, resource: r.resource, namespace: r.namespace ?? '', name: r.name ?? '', data: JSON.stringify(r) }));
    this.flushing = this.flushing.then(() =>
      this.backend.appendAudit(rows).catch((err: unknown) => this.log?.error({ err: (err as Error).message, records: rows.length }, 'audit records could not be written')),
    );
    return this.flushing;
  }

  /** Records matching the filters, newest first, with a continue token for the next page. */
  async query(q: Omit<AuditQuery, 'beforeId'> & { continue?: string }): Promise<AuditPage> {
    await this.flush();
    const beforeId = q.continue ? Number(q.continue) : undefined;
    const rows = await this.backend.queryAudit({ ...q, beforeId, limit: q.limit + 1 });
    const items = rows.slice(0, q.limit).map((r) => ({ ...(JSON.parse(r.data) as AuditRecord), id: r.id }));
    return { items, ...(rows.length > q.limit ? { continue: String(items[items.length - 1].id) } : {}) };
  }

  /** Deletes records older than `retentionMs` before `now`. */
  prune(retentionMs: number, now: number): Promise<number> {
    return this.backend.pruneAudit(new Date(now - retentionMs).toISOString());
  }
}
