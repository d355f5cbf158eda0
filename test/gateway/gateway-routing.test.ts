import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Gateway, type GatewayOptions } from '../../src/serving/gateway/index.js';
import { call, deadPort, INFER_BODY, startFakeReplica, until, type FakeReplica } from './fake-replica.js';

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

test('routes OIP v2 and v1 paths to a replica, rewriting the model name both ways', async () => {
  const r = await startFakeReplica('a', 'mnist-v3');
  await withGateway({}, async (gw, port) => {
    gw.setRoute('digits', { modelName: 'mnist-v3', revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'a', url: r.url }] }] });
    const infer = await call(port, 'POST', '/v2/models/digits/infer', INFER_BODY);
    assert.equal(infer.status, 200);
    assert.equal(infer.json.model_name, 'digits');
    assert.equal(infer.json.model_version, '1');
    assert.equal(infer.headers['x-capstan-revision'], 'r1');
    assert.equal(Number(infer.headers['content-length']), Buffer.byteLength(infer.text), 'content-length follows the rewrite');
    assert.equal(r.seen.at(-1), 'POST /v2/models/mnist-v3/infer');

    const meta = await call(port, 'GET', '/v2/models/digits');
    assert.equal(meta.status, 200);
    assert.equal(meta.json.name, 'digits');
    assert.deepEqual((meta.json.inputs as Array<{ name: string }>)[0].name, 'x');
    assert.equal((await call(port, 'GET', '/v2/models/digits/versions/1')).json.name, 'digits');
    assert.equal((await call(port, 'GET', '/v2/models/digits/ready')).status, 200);
    assert.equal(r.seen.at(-1), 'GET /v2/models/mnist-v3/ready');

    const v1 = await call(port, 'POST', '/v1/models/digits:predict', '{"instances":[[1,2]]}');
    assert.equal(v1.status, 200);
    assert.deepEqual(v1.json.predictions, [21]); // the replica echoes the body size it received
    assert.equal(r.seen.at(-1), 'POST /v1/models/mnist-v3:predict');
    assert.equal((await call(port, 'GET', '/v1/models/digits')).json.name, 'digits');
  }, [r]);
});

test('unknown service and unknown paths get 404 with a JSON error', async () => {
  await withGateway({}, async (_gw, port) => {
    const a = await call(port, 'POST', '/v2/models/nope/infer', INFER_BODY);
    assert.equal(a.status, 404);
    assert.equal(a.json.error, 'service "nope" not found');
    const b = await call(port, 'GET', '/elsewhere');
    assert.equal(b.status, 404);
    assert.match(String(b.json.error), /expected \/v2\/models/);
  });
});

test('least-outstanding balancing: a replica holding a request gets no more while another is free', async () => {
  const a = await startFakeReplica('a', 'svc');
  const b = await startFakeReplica('b', 'svc');
  await withGateway({}, async (gw, port) => {
    gw.setRoute('svc', { revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'a', url: a.url }, { id: 'b', url: b.url }] }] });
    const openA = a.hold();
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < 10; i++) {
      const p = call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
      // Requests answered by b finish; the one that lands on a stays outstanding.
      await Promise.race([p, until(() => a.seen.length + b.seen.length === i + 1, 'request to arrive')]);
      await until(() => a.seen.length + b.seen.length === i + 1 && (a.inFlight + b.inFlight <= 1), 'settle');
      pending.push(p);
    }
    assert.equal(a.seen.length, 1, 'a got exactly one request, then was skipped while busy');
    assert.equal(b.seen.length, 9);
    openA();
    await Promise.all(pending);
    // With both idle, ties rotate: 4 more requests split 2/2.
    for (let i = 0; i < 4; i++) await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    assert.equal(a.seen.length + b.seen.length, 14);
    assert.ok(a.seen.length >= 2 && b.seen.length >= 10);
  }, [a, b]);
});

test('canary split follows percents exactly (smooth weighted round-robin), and skips a revision without endpoints', async () => {
  const s1 = await startFakeReplica('s1', 'svc');
  const s2 = await startFakeReplica('s2', 'svc');
  const c1 = await startFakeReplica('c1', 'svc');
  await withGateway({}, async (gw, port) => {
    gw.setRoute('svc', {
      revisions: [
        { name: 'stable', percent: 90, endpoints: [{ id: 's1', url: s1.url }, { id: 's2', url: s2.url }] },
        { name: 'canary', percent: 10, endpoints: [{ id: 'c1', url: c1.url }] },
      ],
    });
    const byRevision: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const r = await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
      assert.equal(r.status, 200);
      const rev = String(r.headers['x-capstan-revision']);
      byRevision[rev] = (byRevision[rev] ?? 0) + 1;
    }
    assert.deepEqual(byRevision, { stable: 90, canary: 10 });
    assert.equal(c1.seen.length, 10);
    assert.equal(s1.seen.length + s2.seen.length, 90);

    gw.setRoute('svc', {
      revisions: [
        { name: 'stable', percent: 20, endpoints: [{ id: 's1', url: s1.url }] },
        { name: 'canary', percent: 80, endpoints: [] },
      ],
    });
    for (let i = 0; i < 20; i++) assert.equal((await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY)).headers['x-capstan-revision'], 'stable');
    assert.equal(c1.seen.length, 10);
  }, [s1, s2, c1]);
});

test('a refused connection is retried on another replica; with none left the client gets 502', async () => {
  const live = await startFakeReplica('live', 'svc');
  const dead = await deadPort();
  await withGateway({}, async (gw, port, registry) => {
    gw.setRoute('svc', { revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'dead', url: `http://127.0.0.1:${dead}` }, { id: 'live', url: live.url }] }] });
    for (let i = 0; i < 10; i++) assert.equal((await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY)).status, 200);
    assert.equal(live.seen.length, 10);
    const retries = (await registry.getSingleMetric('capstan_gateway_retries_total')!.get()).values;
    assert.ok(retries.length === 1 && retries[0].value >= 1, 'at least one retry counted');

    gw.setRoute('svc', { revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'dead', url: `http://127.0.0.1:${dead}` }] }] });
    const r = await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    assert.equal(r.status, 502);
    assert.match(String(r.json.error), /ECONNREFUSED/);
  }, [live]);
});

test('concurrency limit: containerConcurrency × endpoints, then 503 with Retry-After; maxInFlight overrides', async () => {
  const a = await startFakeReplica('a', 'svc');
  const b = await startFakeReplica('b', 'svc');
  await withGateway({}, async (gw, port) => {
    gw.setRoute('svc', { containerConcurrency: 1, revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'a', url: a.url }, { id: 'b', url: b.url }] }] });
    const openA = a.hold();
    const openB = b.hold();
    const held = [call(port, 'POST', '/v2/models/svc/infer', INFER_BODY), call(port, 'POST', '/v2/models/svc/infer', INFER_BODY)];
    await until(() => a.seen.length + b.seen.length === 2, 'two requests in flight');
    const over = await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    assert.equal(over.status, 503);
    assert.equal(over.headers['retry-after'], '1');
    assert.match(String(over.json.error), /concurrency limit of 2/);
    assert.equal(gw.stats('svc').inFlight, 2);
    openA();
    openB();
    for (const r of await Promise.all(held)) assert.equal(r.status, 200);
    assert.equal(gw.stats('svc').errors, 1);

    gw.setRoute('svc', { maxInFlight: 1, containerConcurrency: 1, revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'a', url: a.url }, { id: 'b', url: b.url }] }] });
    const open = a.hold();
    const openB2 = b.hold();
    const one = call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    await until(() => a.inFlight + b.inFlight === 1, 'one in flight');
    assert.equal((await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY)).status, 503);
    open();
    openB2();
    assert.equal((await one).status, 200);
  }, [a, b]);
});

test('a replica slower than the timeout gives 504 and the replica request is abandoned', async () => {
  const a = await startFakeReplica('a', 'svc');
  await withGateway({}, async (gw, port) => {
    gw.setRoute('svc', { timeoutMs: 100, revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'a', url: a.url }] }] });
    const open = a.hold();
    const r = await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY);
    assert.equal(r.status, 504);
    assert.match(String(r.json.error), /did not answer within 100 ms/);
    open();
    await until(() => gw.stats('svc').inFlight === 0, 'request finished');
    assert.equal((await call(port, 'POST', '/v2/models/svc/infer', INFER_BODY)).status, 200);
  }, [a]);
});

test('setRoute rejects bad input naming the field', async () => {
  await withGateway({}, async (gw) => {
    assert.throws(() => gw.setRoute('s', { revisions: [{ name: 'a', percent: 50, endpoints: [] }] }), /route\.revisions: percents must sum to 100, got 50/);
    assert.throws(() => gw.setRoute('s', { revisions: [{ name: 'a', percent: 100, endpoints: [{ id: 'x', url: 'ftp://x' }] }] }), /route\.revisions\.0\.endpoints\.0\.url/);
    assert.throws(() => gw.setRoute('s', { revisions: [{ name: 'a', percent: 100, endpoints: [{ id: 'x', url: 'http://h:1' }, { id: 'x', url: 'http://h:2' }] }] }), /duplicate endpoint id "x"/);
  });
});
