/**
 * Chaos, bounded: three real `capstan up` processes on one real PostgreSQL while clients keep
 * creating Workloads through whichever servers are alive. In turn: kill -9 the leader, a
 * follower, the database connections of every server, and the leader again. Then: every
 * acknowledged write is present, every Workload was admitted exactly once (no admission written
 * twice, no Admitted event counted twice), and the leader changes are counted from the lease token.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkloadKind } from '../../src/api/kinds/workload.js';
import { HttpClient } from '../../src/client/http-client.js';
import { CapstanCluster, CLUSTER_TOKEN } from '../support/capstan-cluster.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres-server.js';

const skip = postgresSkip();
const MAX_WORKLOADS = 120;

let pgServer: PostgresServer | undefined;
let cluster: CapstanCluster | undefined;
after(async () => {
  await cluster?.stop();
  await pgServer?.stop();
});

test('chaos on PostgreSQL: kill -9 leader/follower/db connections under writes', { skip, timeout: 420_000 }, async (t) => {
  pgServer = await startPostgres();
  cluster = new CapstanCluster(pgServer.connectionString);
  const c = cluster;
  await c.add(); // the first one creates the schema and becomes leader
  await Promise.all([c.add(), c.add()]);
  let { token } = await c.waitForLeader(0);
  const firstToken = token;

  const acknowledged = new Set<string>();
  let stop = false;
  let seq = 0;
  let failures = 0;
  const writer = async (w: number) => {
    while (!stop && seq < MAX_WORKLOADS) {
      const live = c.servers;
      if (live.length === 0) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const server = live[(w + seq) % live.length];
      const client = new HttpClient({ server: server.url, token: CLUSTER_TOKEN, timeoutMs: 10_000 });
      const name = `wl-${seq++}`;
      try {
        await client.create(WorkloadKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Workload', metadata: { name, namespace: 'default' }, spec: { queueName: 'default', podSets: [{ name: 'main', count: 1, requests: { cpu: '10m' } }] } } as never);
        acknowledged.add(name);
      } catch {
        failures++; // the server died under the request: not acknowledged
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const writers = Promise.all([0, 1, 2].map(writer));

  const failovers: number[] = [];
  let leaderKills = 0;
  for (const what of ['leader', 'follower', 'db', 'leader']) {
    await new Promise((r) => setTimeout(r, 1500));
    if (what === 'leader') {
      const leader = await c.leader();
      assert.ok(leader, 'a live leader');
      const t0 = Date.now();
      await c.kill(leader);
      leaderKills++;
      const next = await c.waitForLeader(token);
      failovers.push(Date.now() - t0);
      token = next.token;
    } else if (what === 'follower') {
      const leader = await c.leader();
      const follower = c.servers.find((s) => s !== leader);
      assert.ok(follower);
      await c.kill(follower);
    } else {
      // Every server's database connections at once (the pools and LISTEN connections reconnect).
      await c.db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'capstan' AND pid <> pg_backend_pid()");
    }
    // Replace what died, as a supervisor would (a server that lost its lease also exits).
    while (c.servers.length < 3) await c.add();
  }
  stop = true;
  await writers;

  // Converge: every acknowledged Workload exists and is admitted.
  const leader = (await c.waitForLeader(token - 1)).server;
  const client = new HttpClient({ server: leader.url, token: CLUSTER_TOKEN, timeoutMs: 10_000 });
  let items: Array<{ metadata: { name: string }; status?: { admission?: unknown } }> = [];
  const end = Date.now() + 90_000;
  for (;;) {
    items = (await client.list(WorkloadKind, { namespace: 'default' })).items as typeof items;
    const admitted = items.filter((i) => i.status?.admission).length;
    if (admitted === items.length || Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const stored = new Set(items.map((i) => i.metadata.name));
  const lost = [...acknowledged].filter((n) => !stored.has(n));
  assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.size} acknowledged writes were lost`);
  assert.ok(acknowledged.size >= 30, `only ${acknowledged.size} writes acknowledged: the test proves little`);
  assert.deepEqual(items.filter((i) => !i.status?.admission).map((i) => i.metadata.name), [], 'every workload admitted after the chaos');

  // No controller action twice: from the event log, no workload gained an admission more than once,
  const { rows } = await c.db.query<{ name: string; data: string }>("SELECT name, data FROM capstan.events WHERE resource = 'capstan.dev/workloads' ORDER BY rv");
  const had = new Map<string, boolean>();
  const admissions = new Map<string, number>();
  for (const r of rows) {
    const now = !!(JSON.parse(r.data) as { status?: { admission?: unknown } }).status?.admission;
    if (now && !had.get(r.name)) admissions.set(r.name, (admissions.get(r.name) ?? 0) + 1);
    had.set(r.name, now);
  }
  const twice = [...admissions].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'a workload was admitted twice');
  // and no Admitted event was recorded twice for one workload.
  const ev = await c.db.query<{ data: string }>("SELECT data FROM capstan.objects WHERE resource = 'capstan.dev/events'");
  const admittedEvents = ev.rows.map((r) => JSON.parse(r.data) as { reason?: string; count?: number; involvedObject?: { name?: string } }).filter((e) => e.reason === 'Admitted');
  assert.deepEqual(admittedEvents.filter((e) => (e.count ?? 1) > 1).map((e) => e.involvedObject?.name), []);

  const changes = token - firstToken;
  assert.ok(changes >= leaderKills, `leader changed ${changes} times for ${leaderKills} leader kills`);
  for (const f of failovers) assert.ok(f < 15_000, `failover took ${f} ms`);
  t.diagnostic(`acknowledged ${acknowledged.size} (failed requests ${failures}), workloads ${items.length}, admissions ${admissions.size}, leader changes ${changes} for ${leaderKills} leader kills, failover ms ${failovers.join(', ')}`);
});
