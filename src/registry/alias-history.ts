/**
 * Alias moves over a Model's status (pure): move, remove, roll back, and "where did each alias
 * point at time T". The status object is replaced as a whole so the store writes pointer and
 * history in one optimistic-concurrency update.
 */
import semver from 'semver';
import { ApiError } from '../api/errors.js';
import type { AliasMove, ModelStatus } from '../api/kinds/model.js';

/** A move asked for: `to` null removes the alias. */
export interface AliasMoveRequest {
  alias: string;
  to: string | null;
  by: string;
  reason: string;
  rollback?: boolean;
  correlationId?: string;
}

/** Status after moving an alias, with the move appended to the history; `now` is an ISO timestamp. */
export function applyAliasMove(status: ModelStatus, req: AliasMoveRequest, now: string): { status: ModelStatus; move: AliasMove | undefined } {
  const aliases = { ...(status.aliases ?? {}) };
  const from = aliases[req.alias]?.version ?? null;
  if (from === req.to) return { status, move: undefined }; // already there: nothing to record
  const cid = req.correlationId ? { correlationId: req.correlationId } : {};
  if (req.to === null) delete aliases[req.alias];
  else aliases[req.alias] = { version: req.to, since: now, by: req.by, ...cid };
  const move: AliasMove = { alias: req.alias, from, to: req.to, by: req.by, at: now, reason: req.reason, ...(req.rollback ? { rollback: true } : {}), ...cid };
  return { status: { ...status, aliases, aliasHistory: [...(status.aliasHistory ?? []), move] }, move };
}

/**
 * The version a rollback of `alias` returns to: the history is replayed as a stack (a move pushes
 * the version it left, a rollback pops), so repeated rollbacks walk further back instead of
 * toggling between two versions. Undefined when there is nothing earlier.
 */
export function rollbackTarget(history: readonly AliasMove[], alias: string): string | undefined {
  const stack: string[] = [];
  for (const m of history) {
    if (m.alias !== alias) continue;
    if (m.rollback) stack.pop();
    else if (m.from !== null) stack.push(m.from);
    else stack.length = 0; // a fresh alias (or re-created after removal) starts a new past
  }
  return stack[stack.length - 1];
}

/** Where every alias pointed at instant `at` (epoch ms): the last move at or before it wins (pure). */
export function aliasesAt(history: readonly AliasMove[], at: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of history) {
    const t = Date.parse(m.at);
    if (Number.isNaN(t) || t > at) continue;
    if (m.to === null) delete out[m.alias];
    else out[m.alias] = m.to;
  }
  return out;
}

/** Parses `--at`: a date (`2026-03-03` = the end of that day, UTC) or a full timestamp; epoch ms (pure). */
export function parseAtInstant(text: string, field = 'at'): number {
  const s = text.trim();
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const t = Date.parse(dayOnly ? `${s}T23:59:59.999Z` : s);
  if (Number.isNaN(t)) {
    throw new ApiError('BadRequest', `${field}: "${s.slice(0, 60)}" is not a date (2026-03-03) or timestamp (2026-03-03T12:00:00Z)`, {
      causes: [{ reason: 'FieldValueInvalid', field, message: 'not a date or timestamp' }],
    });
  }
  return t;
}

/** The next version when none is given: next patch of the highest release, or 1.0.0 for a model's first (pure). */
export function nextVersion(existing: readonly string[]): string {
  let best: string | undefined;
  for (const v of existing) if (semver.valid(v) !== null && (best === undefined || semver.gt(v, best))) best = v;
  if (best === undefined) return '1.0.0';
  // 1.3.0-rc.1 → 1.3.0 (the release it previews); 1.2.0 → 1.2.1
  return semver.inc(best, 'patch') as string;
}
