/**
 * Live watches for the PostgreSQL backend, across processes. Every commit (from any process)
 * NOTIFYs its newest resourceVersion; one dedicated LISTEN connection per process hears it, and
 * a single serial pump reads `events WHERE rv > delivered ORDER BY rv` and fans the rows out.
 * Commits made by this process skip the read when nothing else landed in between.
 *
 * Why reading "rv > delivered" never skips an event: writers hold one advisory lock from before
 * they number their events until after their commit is visible, so events become visible in
 * resourceVersion order, and any snapshot sees a prefix of the log (docs/postgres.md).
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { WatchGoneError, type StoreEvent, type Unsubscribe } from './backend.js';
import type { PostgresSql } from './postgres-sql.js';

const PAGE = 1000;
const MAX_RV = '9223372036854775807';

interface Watcher {
  last: number;
  onEvent: (ev: StoreEvent) => void;
  onError: (err: Error) => void;
  closed: boolean;
}

interface EventRow {
  compacted: string;
  rv: string | null;
  type: StoreEvent['type'];
  resource: string;
  ns: string;
  name: string;
  data: string;
}

/** Fans committed events out to this process's watchers, in order, without gaps. */
export class PostgresWatchHub {
  private delivered = 0;
  private readonly live = new Set<Watcher>();
  private chain: Promise<void> = Promise.resolve();
  private notifiedMax = 0;
  private catchUpQueued = false;
  /** Set after the listener reconnects: notifications may have been lost, so read once regardless. */
  private forceRead = false;
  private localInFlight = false;
  private listener: pg.Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = 100;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: PostgresSql,
    private readonly clientConfig: pg.ClientConfig,
    private readonly log?: Logger,
  ) {}

  /** Connects the listener, then takes the newest committed rv as the starting point. */
  async start(): Promise<void> {
    await this.connectListener();
    // LISTEN is active before this read, so any later commit also produces a notification.
    const { rows } = await this.pool.query<{ rv: string }>(this.sql.currentRv);
    this.delivered = Number(rows[0].rv);
  }

  /** Replays events after `fromRv`, then registers for live ones; rejects with WatchGoneError if compacted. */
  async watch(fromRv: number, onEvent: (ev: StoreEvent) => void, onError: (err: Error) => void): Promise<Unsubscribe> {
    if (this.stopped) throw new Error('store is closed');
    const w: Watcher = { last: fromRv, onEvent, onError, closed: false };
    await this.enqueue(() => this.join(w));
    return () => {
      w.closed = true;
      this.live.delete(w);
    };
  }

  /** Marks that this process is committing: its own NOTIFY should not trigger a read. */
  beginLocalCommit(): void {
    this.localInFlight = true;
  }

  /**
   * This process's commit finished. `prev` is the newest event before it (read under the writer
   * lock), so when the pump has delivered exactly up to `prev`, these events are the next ones.
   */
  endLocalCommit(prev: number, events: StoreEvent[]): void {
    this.localInFlight = false;
    if (events.length > 0) {
      const last = events[events.length - 1].rv;
      void this.enqueue(async () => {
        if (this.delivered >= last) return;
        if (this.delivered === prev || this.live.size === 0) this.deliver(events);
        else await this.catchUp();
      });
    }
    if (this.notifiedMax > this.delivered) this.scheduleCatchUp();
  }

  /** Stops listening and drops every watcher. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.live.clear();
    const l = this.listener;
    this.listener = undefined;
    await this.chain;
    if (l) await l.end().catch(() => {});
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }

  private async join(w: Watcher): Promise<void> {
    const upTo = this.delivered;
    for (let first = true; ; first = false) {
      if (w.closed) return;
      if (!first && w.last >= upTo) break;
      const { compacted, events } = await this.read(w.last, upTo);
      if (w.last < compacted) throw new WatchGoneError(w.last, compacted);
      for (const ev of events) {
        if (w.closed) return;
        w.last = ev.rv;
        w.onEvent(ev);
      }
      if (events.length < PAGE) break;
    }
    if (w.closed || this.stopped) return;
    this.live.add(w);
    if (this.forceRead || this.notifiedMax > this.delivered) this.scheduleCatchUp();
  }

  private onNotify(rv: number): void {
    if (rv > this.notifiedMax) this.notifiedMax = rv;
    // A commit of ours is about to hand its events over directly; decide after it has.
    if (this.localInFlight) return;
    if (this.notifiedMax > this.delivered) this.scheduleCatchUp();
  }

  private scheduleCatchUp(): void {
    if (this.catchUpQueued || this.stopped) return;
    this.catchUpQueued = true;
    void this.enqueue(async () => {
      this.catchUpQueued = false;
      const force = this.forceRead;
      // Without watchers the forced read is skipped, so keep it owed to the next watcher.
      if (this.live.size > 0) this.forceRead = false;
      if (force || this.notifiedMax > this.delivered) await this.catchUp();
    });
  }

  /** Reads and delivers everything after `delivered`. A failure ends the live watches (they re-watch). */
  private async catchUp(): Promise<void> {
    // With no live watcher there is no one to read for: a watch that joins later replays from
    // the log up to `delivered`, and everything up to a notified rv is committed.
    if (this.live.size === 0) {
      this.delivered = Math.max(this.delivered, this.notifiedMax);
      return;
    }
    try {
      for (;;) {
        const { compacted, events } = await this.read(this.delivered, Number(MAX_RV));
        if (compacted > this.delivered) {
          // Compaction overtook the pump: events in between may be gone, so watchers behind it must re-list.
          for (const w of [...this.live]) {
            if (w.last < compacted) this.fail(w, new WatchGoneError(w.last, compacted));
          }
          this.delivered = compacted;
        }
        this.deliver(events);
        if (events.length < PAGE) return;
      }
    } catch (err) {
      if (this.stopped) return;
      this.log?.warn({ err: (err as Error).message }, 'postgres watch: reading events failed; ending watches');
      for (const w of [...this.live]) this.fail(w, err as Error);
    }
  }

  private deliver(events: StoreEvent[]): void {
    for (const ev of events) {
      for (const w of this.live) {
        if (ev.rv <= w.last) continue;
        w.last = ev.rv;
        try {
          w.onEvent(ev);
        } catch (err) {
          this.fail(w, err as Error);
        }
      }
      if (ev.rv > this.delivered) this.delivered = ev.rv;
    }
  }

  private fail(w: Watcher, err: Error): void {
    this.live.delete(w);
    w.closed = true;
    w.onError(err);
  }

  /** One page of events after `after` (up to `upTo`), and the compaction boundary, from one snapshot. */
  private async read(after: number, upTo: number): Promise<{ compacted: number; events: StoreEvent[] }> {
    const upToText = upTo >= Number.MAX_SAFE_INTEGER ? MAX_RV : String(upTo);
    const { rows } = await this.pool.query<EventRow>({ ...this.sql.eventsAfter, values: [after, upToText, PAGE] });
    const events: StoreEvent[] = [];
    for (const r of rows) {
      if (r.rv === null) continue;
      events.push({ type: r.type, rv: Number(r.rv), key: { resource: r.resource, namespace: r.ns, name: r.name }, object: JSON.parse(r.data) });
    }
    return { compacted: Number(rows[0]?.compacted ?? 0), events };
  }

  private async connectListener(): Promise<void> {
    const c = new pg.Client(this.clientConfig);
    const broke = (err?: Error) => this.listenerBroke(c, err);
    c.on('error', broke);
    c.on('end', () => broke());
    c.on('notification', (m) => {
      if (m.channel === this.sql.channel && m.payload) this.onNotify(Number(m.payload));
    });
    await c.connect();
    await c.query(`LISTEN "${this.sql.channel}"`);
    this.listener = c;
    this.reconnectDelayMs = 100;
  }

  private listenerBroke(c: pg.Client, err?: Error): void {
    if (this.stopped || this.listener !== c) return;
    this.listener = undefined;
    c.end().catch(() => {});
    this.log?.warn({ err: err?.message }, 'postgres watch: LISTEN connection lost; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.connectListener().then(
        // Notifications sent while we were away are lost: read whatever committed meanwhile.
        () => {
          this.forceRead = true;
          this.scheduleCatchUp();
        },
        () => {
          this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, 5000);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelayMs);
    this.reconnectTimer.unref();
  }
}
