/**
 * Leader election on a real store (SQLite file shared by two electors): one leader at a time, a
 * partitioned leader steps down at its own deadline before anyone else is let in, the follower
 * takes over with a higher token, and the old leader's fenced writes are refused.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { KubeObject } from '../../src/api/meta.js';
import { FencedBackend } from '../../src/ops/fenced-backend.js';
import { LeaderElector } from '../../src/ops/leader-elector.js';
import { FencedOutError, type Fence } from '../../src/store/store-ops.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'capstan-lease-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: 'silent' });
const timing = { ttlMs: 600, renewMs: 150, retryMs: 50, marginMs: 100 };
const obj = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'T', metadata: { name, namespace: 'p' } as KubeObject['metadata'] });

test('one leader; a partitioned leader steps down before the follower takes over; stale fences are refused', async () => {
  const backend = new SqliteBackend({ path: join(dir, 'a.db') });
  await backend.migrate();
  const fenced = new FencedBackend(backend);
  let partitioned = false;
  const events: string[] = [];
  let aLostAt = 0;
  let bLeadAt = 0;
  const aBackend = {
    acquireLease: (n: string, h: string, t: number) => (partitioned ? Promise.reject(new Error('network down')) : backend.acquireLease(n, h, t)),
    releaseLease: backend.releaseLease.bind(backend),
  };
  let aFence: Fence | undefined;
  const a: LeaderElector = new LeaderElector({
    backend: aBackend, lease: 'controllers', holder: 'A', timing, log,
    onLeading: (f) => { aFence = f; events.push(`A leads ${f.token}`); },
    onLost: (r) => { aLostAt = Date.now(); events.push(`A lost: ${r}`); },
  });
  a.start();
  await until('A leads', () => a.isLeader());
  const b: LeaderElector = new LeaderElector({
    backend, lease: 'controllers', holder: 'B', timing, log,
    onLeading: (f) => { bLeadAt = Date.now(); events.push(`B leads ${f.token}`); },
    onLost: () => events.push('B lost'),
  });
  b.start();
  // B keeps asking while A renews: A stays leader.
  await new Promise((r) => setTimeout(r, timing.ttlMs * 2));
  assert.ok(a.isLeader() && !b.isLeader(), events.join('; '));

  // A's controllers write through the fenced context.
  const src = { lease: 'controllers', fence: () => a.fence() };
  await fenced.runAsLeader(src, () => fenced.commit([{ type: 'create', key: { resource: 't', namespace: 'p', name: 'x1' }, object: obj('x1') }]));

  partitioned = true;
  await until('B leads', () => b.isLeader(), 10_000);
  assert.ok(aLostAt > 0 && aLostAt <= bLeadAt, `A stepped down (${aLostAt}) before B took over (${bLeadAt}): ${events.join('; ')}`);
  assert.equal(b.fence()!.token, aFence!.token + 1);
  // A's context refuses locally; a write carrying A's old token is refused by the store.
  await assert.rejects(fenced.runAsLeader(src, () => fenced.commit([{ type: 'create', key: { resource: 't', namespace: 'p', name: 'x2' }, object: obj('x2') }])), FencedOutError);
  await assert.rejects(backend.commit([{ type: 'create', key: { resource: 't', namespace: 'p', name: 'x3' }, object: obj('x3') }], { fence: aFence }), FencedOutError);
  assert.equal(await backend.get({ resource: 't', namespace: 'p', name: 'x3' }), undefined);
  // Outside any leader context (API requests) writes are not fenced.
  await fenced.commit([{ type: 'create', key: { resource: 't', namespace: 'p', name: 'x4' }, object: obj('x4') }]);

  // A graceful stop releases the lease: a new elector gets it at once, without waiting for expiry.
  await b.stop();
  const c = new LeaderElector({ backend, lease: 'controllers', holder: 'C', timing: { ...timing, ttlMs: 60_000 }, log, onLeading: () => {}, onLost: () => {} });
  const t0 = Date.now();
  c.start();
  await until('C leads', () => c.isLeader(), 5000);
  assert.ok(Date.now() - t0 < timing.ttlMs, 'no wait for expiry after a release');
  await c.stop();
  await a.stop();
  await backend.close();
});
