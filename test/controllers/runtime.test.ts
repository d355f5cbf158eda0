/** Controller runtime: queue dedup, no concurrent processing of one key, backoff, requeue, informer convergence. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { EventKind } from '../../src/api/kinds/event.js';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import { ProjectKind } from '../../src/api/kinds/project.js';
import { LocalClient } from '../../src/client/local-client.js';
import { EventRecorder } from '../../src/controllers/runtime/event-recorder.js';
import { ControllerManager } from '../../src/controllers/runtime/manager.js';
import { WorkQueue } from '../../src/controllers/runtime/work-queue.js';
import { ObjectStore } from '../../src/store/object-store.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';

const log = pino({ level: 'silent' });

async function until(pred: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('work queue: a key is queued once, and re-queued after done when added while processing', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('a');
  q.add('b');
  assert.equal(q.length, 2);
  const k = await q.get();
  assert.equal(k, 'a');
  q.add('a'); // while processing
  assert.equal(q.length, 1, 'not queued twice while processing');
  q.done('a');
  assert.equal(q.length, 2, 'back in the queue after done');
  q.shutdown();
});

test('work queue: rate-limited requeues back off exponentially up to the cap, forget resets', () => {
  const q = new WorkQueue({ baseMs: 10, maxMs: 50 });
  assert.deepEqual([q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k')], [10, 20, 40, 50]);
  q.forget('k');
  assert.equal(q.addRateLimited('k'), 10);
  q.shutdown();
});

function setup() {
  const backend = new SqliteBackend({ path: ':memory:' });
  const client = new LocalClient(new ObjectStore(backend), builtinKindRegistry());
  return { backend, client };
}

test('controller: reconciles every object, retries failures with backoff, honours requeueAfter, stops cleanly', async () => {
  const { backend, client } = setup();
  const mgr = new ControllerManager(client, log);
  const calls = new Map<string, number>();
  let concurrent = 0;
  let maxConcurrent = 0;
  mgr.add(
    {
      name: 'test',
      async reconcile(key) {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise((r) => setTimeout(r, 2));
        concurrent--;
        const n = (calls.get(key) ?? 0) + 1;
        calls.set(key, n);
        if (key === 'flaky' && n < 3) throw new Error('transient');
        if (key === 'waiter' && n < 2) return { requeueAfterMs: 20 };
      },
    },
    { primary: mgr.informer(ProjectKind), concurrency: 3 },
  );
  await mgr.start();
  for (const name of ['flaky', 'waiter', 'plain']) await client.create(ProjectKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name } });
  await until(() => (calls.get('flaky') ?? 0) >= 3 && (calls.get('waiter') ?? 0) >= 2 && (calls.get('plain') ?? 0) >= 1);
  assert.ok(maxConcurrent <= 3);
  await mgr.stop();
  await backend.close();
});

test('event recorder aggregates repeats into one Event with a count', async () => {
  const { backend, client } = setup();
  const p = await client.create(ProjectKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'default' } });
  const rec = new EventRecorder(client, 'test', log);
  await Promise.all([rec.event(p, 'Warning', 'Boom', 'it broke'), rec.event(p, 'Warning', 'Boom', 'it broke')]);
  await rec.event(p, 'Warning', 'Boom', 'it broke');
  await rec.event(p, 'Normal', 'Fine', 'all good');
  const evs = (await client.list(EventKind, { namespace: 'default' })).items;
  assert.equal(evs.length, 2);
  assert.equal(evs.find((e) => e.reason === 'Boom')?.count, 3);
  await backend.close();
});
