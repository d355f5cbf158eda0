import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Gateway, type GatewayOptions } from '../../src/serving/gateway/index.js';
import { sampleFromCounters } from '../../src/autoscaler/metric-window.js';
import { call, INFER_BODY, startFakeReplica, until, type FakeReplica } from './fake-replica.js';

async function withGateway(opts: Partial<GatewayOptions>, fn: (gw: Gateway, port: number, registry: Registry) => Promise<void>, replicas: FakeReplica[] = []): Promise<void> {
  const registry = new Registry();
  const gw = new Gateway({ logger: pino({ level: 'silent' }), registry, ...opts });
  const port = await gw.listen(0, '127.0.0.1');
  try {
    await fn(gw, port, registry);
  } finally {
    await gw.close();
    await Promise.all(replicas.map((r) => r.close()));
  }
}

const route = (...eps: FakeReplica[]) => ({ revisions: [{ name: 'r1', percent: 100, endpoints: eps.map((e) => ({ id: e.id, url: e.url })) }] });

test('scale from zero: requests wait, onDemand fires once, then they proceed when endpoints appear', async () => {
  const replicas: FakeReplica[] = [];
  await withGateway({ wakeTimeoutMs: 10_000 }, async (gw, port) => {
    gw.setRoute('svc', route());
    const demanded: string[] = [];
    gw.onDemand((service) => {
      demanded.push(service);
      // The "controller" starts a replica a little later and publishes it.
      void startFakeReplica('a', 'svc').then((r) => {
        replicas.push(r);
        setTimeout(() => gw.setRoute('svc', route(r)), 50);
      });
    });
    const results = await Promise.all([1, 2, 3].map(() => call(port, 'POST', '/v2/models/svc/infer', INFER_BODY)));
    for (const r of results) assert.equal(r.status, 200);
    assert.deepEqual(demanded, ['svc']);
    assert.equal(replicas[0].seen.length, 3);
    const s = gw.stats('svc');
    assert.equal(s.queued, 0);
    assert.equal(s.requests, 3);
  }, replicas);
});

test('scale from zero: nobody wakes it → 503 with Retry-After after the wake timeout; a full queue is refused at once', async () => {
  await withGateway({ wakeTimeoutMs: 150, wakeQueueLimit: 1 }, async (gw, port) => {
    gw.setRoute('svc', route());
    let queuedSeen = 0;
    const first = call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    await until(() => (queuedSeen = gw.stats('svc').queued) === 1, 'first request queued');
    assert.equal(gw.stats('svc').inFlight, 1, 'queued demand counts as concurrency for the autoscaler');
    const second = await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    assert.equal(second.status, 503);
    assert.match(String(second.json.error), /too many requests waiting/);
    const r = await first;
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.match(String(r.json.error), /no ready replicas after waiting 150 ms/);
    assert.equal(queuedSeen, 1);
  });
});

test('removing a route answers its waiting requests with 404', async () => {
  await withGateway({ wakeTimeoutMs: 10_000 }, async (gw, port) => {
    gw.setRoute('svc', route());
    const p = call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    await until(() => gw.stats('svc').queued === 1, 'queued');
    gw.removeRoute('svc');
    assert.equal((await p).status, 404);
  });
});

test('rolling update under load: add new endpoints, remove old ones, zero failed requests', async () => {
  const old1 = await startFakeReplica('old1', 'svc', { delayMs: 3 });
  const old2 = await startFakeReplica('old2', 'svc', { delayMs: 3 });
  const new1 = await startFakeReplica('new1', 'svc', { delayMs: 3 });
  const new2 = await startFakeReplica('new2', 'svc', { delayMs: 3 });
  await withGateway({}, async (gw, port) => {
    gw.setRoute('svc', route(old1, old2));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const statuses = new Map<number, number>();
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        const r = await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY, agent);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    const workers = Array.from({ length: 12 }, worker);
    await until(() => old1.seen.length + old2.seen.length > 100, 'load on old replicas');
    gw.setRoute('svc', { revisions: [{ name: 'r2', percent: 100, endpoints: [old1, old2, new1, new2].map((e) => ({ id: e.id, url: e.url })) }] });
    await until(() => new1.seen.length + new2.seen.length > 100, 'load on new replicas');
    // Hold a request on an old replica across its removal: it must still complete.
    const open = old1.hold();
    await until(() => old1.inFlight > 0, 'a request in flight on old1');
    gw.setRoute('svc', { revisions: [{ name: 'r2', percent: 100, endpoints: [new1, new2].map((e) => ({ id: e.id, url: e.url })) }] });
    await until(() => new1.seen.length + new2.seen.length > 400, 'more load on new replicas');
    open();
    await until(() => old1.inFlight === 0 && old2.inFlight === 0, 'old replicas drained');
    // Requests picked just before the removal may still have been in transit; after the drain none may arrive.
    const oldSeen = old1.seen.length + old2.seen.length;
    const mid = new1.seen.length + new2.seen.length;
    await until(() => new1.seen.length + new2.seen.length > mid + 200, 'load after the drain');
    assert.equal(old1.seen.length + old2.seen.length, oldSeen, 'no new request reached a removed replica');
    // The replicas are stopped, as the runtime would do once the controller removed them.
    await Promise.all([old1.close(), old2.close()]);
    const before = new1.seen.length + new2.seen.length;
    await until(() => new1.seen.length + new2.seen.length > before + 100, 'load after old replicas stopped');
    stop = true;
    await Promise.all(workers);
    agent.destroy();
    assert.deepEqual([...statuses.keys()], [200], `statuses: ${JSON.stringify([...statuses])}`);
    assert.equal(old1.seen.length + old2.seen.length, oldSeen, 'no new request reached a removed replica');
    assert.ok(statuses.get(200)! > 600);
    assert.equal(gw.stats('svc').errors, 0);
  }, [new1, new2]);
});

test('large bodies stream through (no retry buffer), oversized ones get 413', async () => {
  const a = await startFakeReplica('a', 'svc');
  await withGateway({ retryBufferBytes: 1024, maxBodyBytes: 512 * 1024 }, async (gw, port) => {
    gw.setRoute('svc', route(a));
    const big = Buffer.alloc(300 * 1024, 7);
    const r = await call(port, 'POST', '/v2/models/svc/infer', big);
    assert.equal(r.status, 200);
    assert.deepEqual((r.json.outputs as Array<{ data: number[] }>)[0].data, [big.length]);
    const tooBig = await call(port, 'POST', '/v2/models/svc/infer', Buffer.alloc(600 * 1024));
    assert.equal(tooBig.status, 413);
    assert.match(String(tooBig.json.error), /exceeds the limit of 524288/);
  }, [a]);
});

test('stats and metrics: counters per service and revision, usable as autoscaler samples', async () => {
  const a = await startFakeReplica('a', 'svc', { delayMs: 20 });
  let clock = 1_000_000;
  await withGateway({ now: () => clock }, async (gw, port, registry) => {
    gw.setRoute('svc', route(a));
    const before = gw.stats('svc');
    const p = call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    await until(() => gw.stats('svc').inFlight === 1, 'in flight');
    clock += 2000; // one request in flight for 2 s of the injected clock
    await p;
    const after = gw.stats('svc');
    assert.equal(after.requests, 1);
    assert.equal(after.inFlight, 0);
    assert.equal(after.readyEndpoints, 1);
    assert.deepEqual(after.revisions, { r1: { inFlight: 0, requests: 1, errors: 0 } });
    assert.deepEqual(sampleFromCounters(before, after), { t: clock, concurrency: 1, requests: 1 });
    const text = await registry.metrics();
    assert.match(text, /capstan_gateway_requests_total\{service="svc",revision="r1",code="200"\} 1/);
    assert.match(text, /capstan_gateway_request_duration_seconds_count\{service="svc",revision="r1"\} 1/);
    assert.match(text, /capstan_gateway_in_flight_requests\{service="svc"\} 0/);
  }, [a]);
});

test('a connection reset before any response byte is retried on another replica', async () => {
  const a = await startFakeReplica('a', 'svc');
  const resetter = http.createServer((req) => req.socket.destroy());
  await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
  const resetUrl = `http://127.0.0.1:${(resetter.address() as { port: number }).port}`;
  try {
    await withGateway({}, async (gw, port) => {
      gw.setRoute('svc', { revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'reset', url: resetUrl }, { id: 'a', url: a.url }] }] });
      for (let i = 0; i < 6; i++) assert.equal((await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY)).status, 200);
      assert.equal(a.seen.length, 6);
    }, [a]);
  } finally {
    resetter.closeAllConnections();
    await new Promise<void>((r) => resetter.close(() => r()));
  }
});
