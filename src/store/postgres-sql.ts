/**
 * The PostgreSQL backend's schema and statements, all qualified by one schema name so several
 * Capstan installs can share a database. Statements are named, so node-postgres prepares each
 * once per connection and later calls skip parsing and planning.
 */

/** Lock class for pg_advisory_xact_lock(int4, int4): "CAPS" in ASCII. */
const LOCK_CLASS = 0x43415053;

/** Fixed text of the statements one schema uses. */
export interface PostgresSql {
  schema: string;
  /** NOTIFY channel carrying the newest committed resourceVersion. */
  channel: string;
  ddl: string;
  /** Simple-protocol text that opens a write transaction holding the writer lock. */
  beginWrite: string;
  /** Serializes compactions across processes (never blocks writers). */
  beginCompact: string;
  /** Sequence position, newest event, and the current rows of keys ($1 resources, $2 namespaces, $3 names). */
  readForWrite: Named;
  /** Appends events, upserts and deletes rows, moves the sequence and notifies, in one statement. */
  applyWrite: Named;
  get: Named;
  /** $1 resource, $2 after-namespace, $3 after-name, $4 limit or null. */
  listAll: Named;
  /** $1 resource, $2 namespace, $3 after-name, $4 limit or null. */
  listNs: Named;
  listNamespace: Named;
  dependents: Named;
  /** Compaction boundary and up to $3 events with $1 < rv <= $2, read in one snapshot. */
  eventsAfter: Named;
  currentRv: Named;
  getMeta: Named;
  setMeta: Named;
  compactState: string;
  compactApply: string;
  /** Raises the sequence to the newest stored resourceVersion (data loaded from elsewhere). */
  syncSequence: string;
}

/** A named (prepared) statement. */
export interface Named {
  name: string;
  text: string;
}

/** Validates a schema name; only plain lower-case identifiers, so it can be spliced into SQL. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`schema: "${schema}" is not a valid schema name (lower-case letters, digits and _, at most 63, not starting with a digit)`);
  }
  return schema;
}

/** 32-bit FNV-1a, as a signed int4, to derive lock keys and channel names from the schema. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** Every statement for one schema. */
export function postgresSql(schemaName: string): PostgresSql {
  const schema = checkSchemaName(schemaName);
  const s = `"${schema}"`;
  const hash = fnv1a32(`capstan:${schema}`);
  const id = (n: string): string => `capstan_${n}_${(hash >>> 0).toString(16)}`;
  const compacted = `coalesce((SELECT value::bigint FROM ${s}.meta WHERE key = 'compacted_rv'), 0)`;
  return {
    schema,
    channel: id('rv'),
    ddl: `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.objects (
  resource text COLLATE "C" NOT NULL, ns text COLLATE "C" NOT NULL, name text COLLATE "C" NOT NULL,
  rv bigint NOT NULL, owners text[] NOT NULL DEFAULT '{}', data text NOT NULL,
  PRIMARY KEY (resource, ns, name));
CREATE INDEX IF NOT EXISTS objects_ns ON ${s}.objects (ns);
CREATE INDEX IF NOT EXISTS objects_owners ON ${s}.objects USING gin (owners);
CREATE TABLE IF NOT EXISTS ${s}.events (
  rv bigint PRIMARY KEY, type text NOT NULL, resource text NOT NULL, ns text NOT NULL, name text NOT NULL, data text NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.audit (
  id bigserial PRIMARY KEY, time text COLLATE "C" NOT NULL, "user" text NOT NULL, verb text NOT NULL,
  resource text NOT NULL, ns text NOT NULL, name text NOT NULL, data text NOT NULL);
CREATE INDEX IF NOT EXISTS audit_time ON ${s}.audit (time);
CREATE SEQUENCE IF NOT EXISTS ${s}.rv_seq AS bigint MINVALUE 0 START 0;`,
    // synchronous_commit on: "durable when commit() resolves" must not depend on server defaults.
    // A holder stalled mid-transaction must not block every writer forever: the server ends it.
    beginWrite: `BEGIN; SET LOCAL synchronous_commit = on; SET LOCAL idle_in_transaction_session_timeout = '60s';
SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${hash})`,
    beginCompact: `BEGIN; SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${fnv1a32(`capstan-compact:${schema}`)})`,
    readForWrite: {
      name: id('read_for_write'),
      text: `SELECT h.seq, h.prev, o.resource, o.ns, o.name, o.rv, o.data
FROM (SELECT (SELECT last_value FROM ${s}.rv_seq) AS seq, coalesce((SELECT max(rv) FROM ${s}.events), 0) AS prev) h
LEFT JOIN LATERAL (
  SELECT o.resource, o.ns, o.name, o.rv, o.data FROM ${s}.objects o
  JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(resource, ns, name)
    ON o.resource = k.resource AND o.ns = k.ns AND o.name = k.name) o ON true`,
    },
    applyWrite: {
      name: id('apply_write'),
      text: `WITH ev AS (
  INSERT INTO ${s}.events (rv, type, resource, ns, name, data)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
), up AS (
  INSERT INTO ${s}.objects (resource, ns, name, rv, owners, data)
  SELECT u.resource, u.ns, u.name, u.rv, ARRAY(SELECT jsonb_array_elements_text(u.owners::jsonb)), u.data
  FROM unnest($7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[], $12::text[]) AS u(resource, ns, name, rv, owners, data)
  ON CONFLICT (resource, ns, name) DO UPDATE SET rv = excluded.rv, owners = excluded.owners, data = excluded.data
), del AS (
  DELETE FROM ${s}.objects o USING unnest($13::text[], $14::text[], $15::text[]) AS d(resource, ns, name)
  WHERE o.resource = d.resource AND o.ns = d.ns AND o.name = d.name
)
SELECT setval('${s}.rv_seq', $16::bigint, true), pg_notify('${id('rv')}', $16::bigint::text)`,
    },
    get: { name: id('get'), text: `SELECT data FROM ${s}.objects WHERE resource = $1 AND ns = $2 AND name = $3` },
    // The rv is read in the same statement, so the same snapshot, as the rows: a watch from it
    // neither misses nor repeats a change the page reflects.
    listAll: {
      name: id('list_all'),
      text: `SELECT h.rv, o.data FROM (SELECT greatest(coalesce((SELECT max(rv) FROM ${s}.events), 0), ${compacted}) AS rv) h
LEFT JOIN LATERAL (SELECT ns, name, data FROM ${s}.objects WHERE resource = $1 AND (ns, name) > ($2::text, $3::text)
  ORDER BY ns, name LIMIT $4) o ON true ORDER BY o.ns, o.name`,
    },
    listNs: {
      name: id('list_ns'),
      text: `SELECT h.rv, o.data FROM (SELECT greatest(coalesce((SELECT max(rv) FROM ${s}.events), 0), ${compacted}) AS rv) h
LEFT JOIN LATERAL (SELECT name, data FROM ${s}.objects WHERE resource = $1 AND ns = $2 AND name > $3::text
  ORDER BY name LIMIT $4) o ON true ORDER BY o.name`,
    },
    listNamespace: { name: id('list_namespace'), text: `SELECT resource, ns, name FROM ${s}.objects WHERE ns = $1` },
    dependents: { name: id('dependents'), text: `SELECT resource, ns, name FROM ${s}.objects WHERE owners @> ARRAY[$1::text]` },
    eventsAfter: {
      name: id('events_after'),
      text: `SELECT c.compacted, e.rv, e.type, e.resource, e.ns, e.name, e.data FROM (SELECT ${compacted} AS compacted) c
LEFT JOIN LATERAL (SELECT rv, type, resource, ns, name, data FROM ${s}.events WHERE rv > $1 AND rv <= $2 ORDER BY rv LIMIT $3) e ON true
ORDER BY e.rv`,
    },
    currentRv: { name: id('current_rv'), text: `SELECT greatest(coalesce((SELECT max(rv) FROM ${s}.events), 0), ${compacted}) AS rv` },
    getMeta: { name: id('get_meta'), text: `SELECT value FROM ${s}.meta WHERE key = $1` },
    setMeta: { name: id('set_meta'), text: `INSERT INTO ${s}.meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value` },
    compactState: `SELECT ${compacted} AS compacted, coalesce((SELECT max(rv) FROM ${s}.events), 0) AS newest`,
    compactApply: `WITH d AS (DELETE FROM ${s}.events WHERE rv <= $1::bigint)
INSERT INTO ${s}.meta (key, value) VALUES ('compacted_rv', $1::bigint::text) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    syncSequence: `SELECT setval('${s}.rv_seq', greatest((SELECT last_value FROM ${s}.rv_seq),
  coalesce((SELECT max(rv) FROM ${s}.events), 0), coalesce((SELECT max(rv) FROM ${s}.objects), 0), ${compacted}), true)`,
  };
}
