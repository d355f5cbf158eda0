/**
 * The decision half of a PostgreSQL group commit, as a pure function: given the batch's writes
 * in arrival order, the rows they touch as the database holds them (read under the writer lock)
 * and the last resourceVersion handed out, decide each write's outcome, number the successful
 * ones, and say which rows to upsert, which to delete and which events to append. Writes see the
 * effect of earlier writes in the same batch, exactly as SQLite's one-by-one application does.
 */
import type { KubeObject } from '../api/meta.js';
import { ownerUids, type ObjectKey, type StoreEvent, type WriteOp, type WriteResult } from './backend.js';

/** A stored row as the planner needs it; `data` is the object's JSON text. */
export interface CurrentRow {
  rv: number;
  data: string;
}

/** An event to append, with the JSON text that goes into the events table. */
export interface PlannedEvent extends StoreEvent {
  data: string;
}

/** A row the batch leaves in place (created or replaced). */
export interface PlannedUpsert {
  key: ObjectKey;
  rv: number;
  owners: string[];
  data: string;
}

/** Everything a batch does, in the order the database must record it. */
export interface WritePlan {
  /** One result array per input op array, in the same order. */
  results: WriteResult[][];
  events: PlannedEvent[];
  /** Final state of each key the batch wrote and left existing (one entry per key). */
  upserts: PlannedUpsert[];
  /** Keys the batch wrote and left deleted (disjoint from upserts). */
  deletes: ObjectKey[];
  /** The last resourceVersion used (startRv when nothing succeeded). */
  lastRv: number;
}

/** A collision-free map key for an ObjectKey (NUL cannot occur in PostgreSQL text). */
export function keyId(key: ObjectKey): string {
  return `${key.resource}\u0000${key.namespace}\u0000${key.name}`;
}

/** Distinct keys touched by a batch, for the one query that reads their current rows. */
export function batchKeys(batches: readonly WriteOp[][]): ObjectKey[] {
  const seen = new Map<string, ObjectKey>();
  for (const ops of batches) for (const op of ops) if (!seen.has(keyId(op.key))) seen.set(keyId(op.key), op.key);
  return [...seen.values()];
}

interface RowState {
  rv: number;
  data: string;
  parsed?: KubeObject;
}

/** Decides a batch. `current` holds the rows that exist, keyed by keyId. */
export function planWrites(batches: readonly WriteOp[][], current: ReadonlyMap<string, CurrentRow>, startRv: number): WritePlan {
  // undefined: not looked at yet (fall back to `current`); null: known not to exist.
  const state = new Map<string, RowState | null>();
  const touched = new Map<string, ObjectKey>();
  const events: PlannedEvent[] = [];
  let rv = startRv;

  const read = (id: string): RowState | null => {
    const s = state.get(id);
    if (s !== undefined) return s;
    const row = current.get(id);
    const fresh = row ? { rv: row.rv, data: row.data } : null;
    state.set(id, fresh);
    return fresh;
  };
  const objectOf = (s: RowState): KubeObject => (s.parsed ??= JSON.parse(s.data) as KubeObject);

  const apply = (op: WriteOp): WriteResult => {
    const id = keyId(op.key);
    const cur = read(id);
    if (op.type === 'create') {
      if (cur) return { ok: false, reason: 'AlreadyExists', current: objectOf(cur) };
    } else {
      if (!cur) return { ok: false, reason: 'NotFound' };
      if (op.expectedRv !== 0 && cur.rv !== op.expectedRv) return { ok: false, reason: 'Conflict', current: objectOf(cur) };
    }
    rv += 1;
    const base = op.type === 'delete' ? objectOf(cur!) : op.object;
    const object: KubeObject = { ...base, metadata: { ...base.metadata, resourceVersion: String(rv) } };
    const data = JSON.stringify(object);
    const type = op.type === 'create' ? 'ADDED' : op.type === 'update' ? 'MODIFIED' : 'DELETED';
    events.push({ type, rv, key: op.key, object, data });
    state.set(id, op.type === 'delete' ? null : { rv, data, parsed: object });
    touched.set(id, op.key);
    return { ok: true, rv, object };
  };

  const results = batches.map((ops) => ops.map(apply));
  const upserts: PlannedUpsert[] = [];
  const deletes: ObjectKey[] = [];
  for (const [id, key] of touched) {
    const s = state.get(id);
    if (s) upserts.push({ key, rv: s.rv, owners: ownerUids(s.parsed ?? (JSON.parse(s.data) as KubeObject)), data: s.data });
    else deletes.push(key);
  }
  return { results, events, upserts, deletes, lastRv: rv };
}
