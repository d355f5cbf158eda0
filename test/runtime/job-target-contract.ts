/**
 * The compute-target contract (issue 19): the same cases, run against the local target
 * (test/runtime-local/job-target-contract.test.ts) and the Kubernetes target on the fake API
 * server with a fake kubelet, or on a real cluster when KUBECONFIG is set
 * (test/kubernetes/job-target-contract.test.ts). A target passes when a training gang started
 * on it reports the same replica states, ends with the same job outcome, serves the same logs
 * and stops the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../../src/api/meta.js';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import type { TrainingJobSpec } from '../../src/api/kinds/training-job-schema.js';
import type { JobTarget, ReplicaSetObservation } from '../../src/runtime/compute-target.js';
import { jobOutcome } from '../../src/training/job-policy.js';

/** How a suite reaches its target. */
export interface ContractTarget {
  target: JobTarget;
  /** The namespace jobs go in (exists on the target). */
  namespace: string;
  /** The node binary a replica runs (process.execPath here, `node` in an image on a real cluster). */
  node: string;
  /** An image with node in it (the Kubernetes target runs it; the local target ignores it). */
  image: string;
  /** How long a case may wait for replicas to change. */
  timeoutMs: number;
}

/** Polls until `fn` returns a truthy value. */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function job(c: ContractTarget, name: string, framework: 'pytorch' | 'generic', roles: Record<string, { replicas: number; script: string; restartPolicy?: 'Never' | 'OnFailure' }>): KubeObject {
  const replicaSpecs = Object.fromEntries(Object.entries(roles).map(([role, r]) => [role, { replicas: r.replicas, restartPolicy: r.restartPolicy ?? 'Never', template: { image: c.image, command: [c.node, '-e', r.script] } }]));
  const body = TrainingJobKind.body.parse({ spec: { framework, replicaSpecs } }) as { spec: TrainingJobSpec };
  return {
    apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob',
    metadata: { name: `${name}-${randomUUID().slice(0, 6)}`, namespace: c.namespace, uid: randomUUID(), generation: 1, resourceVersion: '1', creationTimestamp: new Date().toISOString() },
    spec: body.spec,
  } as KubeObject;
}

async function start(c: ContractTarget, j: KubeObject): Promise<void> {
  await c.target.start({ job: j, spec: j.spec as TrainingJobSpec, flavors: [], gpus: {} });
}

async function settle(c: ContractTarget, j: KubeObject, pred: (o: ReplicaSetObservation) => boolean, what: string): Promise<ReplicaSetObservation> {
  return until(what, async () => {
    const o = await c.target.observe(j);
    return o && pred(o) ? o : undefined;
  }, c.timeoutMs);
}

async function gone(c: ContractTarget, j: KubeObject): Promise<void> {
  await until('everything stopped', async () => (await c.target.stop(j, { graceMs: 500 })).remaining === 0 && (await c.target.observe(j)) === undefined, c.timeoutMs);
}

/** Registers the contract's tests for one target. */
export function jobTargetContract(label: string, setup: () => Promise<ContractTarget>): void {
  let c: ContractTarget;
  const get = async () => (c ??= await setup());

  test(`${label}: nothing is observed of a job that was never started`, async () => {
    const t = await get();
    assert.equal(await t.target.observe(job(t, 'never', 'generic', { Worker: { replicas: 1, script: '' } })), undefined);
  });

  test(`${label}: a PyTorch gang starts together with the one rendezvous env and succeeds; its log is served`, async () => {
    const t = await get();
    // Each replica checks its env and prints it; a wrong env is exit 7.
    const script = "const e=process.env;const ok=e.WORLD_SIZE==='3'&&e.MASTER_ADDR&&e.MASTER_PORT&&e.RANK!==undefined&&e.CAPSTAN_ROLE&&e.CAPSTAN_INDEX!==undefined&&e.CAPSTAN_OUTPUT_DIR;console.log('rank '+e.RANK+' of '+e.WORLD_SIZE+' master '+e.MASTER_ADDR);process.exit(ok?0:7)";
    const j = job(t, 'gang', 'pytorch', { Master: { replicas: 1, script }, Worker: { replicas: 2, script } });
    await start(t, j);
    const o = await settle(t, j, (x) => x.replicas.length === 3 && x.replicas.every((r) => r.state === 'succeeded' || r.state === 'failed'), 'three replicas ended');
    assert.deepEqual(o.replicas.map((r) => [r.role, r.index, r.state]), [['Master', 0, 'succeeded'], ['Worker', 0, 'succeeded'], ['Worker', 1, 'succeeded']]);
    assert.deepEqual(jobOutcome('pytorch', o.replicas), { kind: 'succeeded' });
    const log = await until('the log of worker 1', async () => ((await t.target.logs(j, { role: 'Worker', index: 1 }, 4096)) ?? '').includes('rank') && t.target.logs(j, { role: 'Worker', index: 1 }, 4096), t.timeoutMs);
    assert.match(log!, /rank 2 of 3 master /);
    await gone(t, j);
  });

  test(`${label}: a replica that fails is reported failed with a reason, and the job outcome is Failed`, async () => {
    const t = await get();
    const j = job(t, 'fails', 'generic', { Worker: { replicas: 1, script: 'process.exit(3)' } });
    await start(t, j);
    const o = await settle(t, j, (x) => x.replicas.some((r) => r.state === 'failed'), 'a failed replica');
    const f = o.replicas.find((r) => r.state === 'failed')!;
    assert.ok(f.reason, 'a reason');
    assert.match(f.message ?? '', /3/, 'the message names the exit code');
    assert.equal(jobOutcome('generic', o.replicas).kind, 'failed');
    await gone(t, j);
  });

  test(`${label}: once the outcome is known, stop(keepFinished) ends the replicas still running`, async () => {
    const t = await get();
    const j = job(t, 'partial', 'generic', {
      Fast: { replicas: 1, script: 'process.exit(4)' },
      Slow: { replicas: 1, script: 'setInterval(()=>{},1000)' },
    });
    await start(t, j);
    await settle(t, j, (x) => x.replicas.some((r) => r.state === 'failed') && x.replicas.some((r) => r.state === 'running'), 'one failed, one running');
    await until('live replicas stopped', async () => (await t.target.stop(j, { graceMs: 500, keepFinished: true })).remaining === 0, t.timeoutMs);
    const after = await until('nothing running', async () => {
      const o = await t.target.observe(j);
      return (!o || o.replicas.every((r) => r.state !== 'running' && r.state !== 'starting')) && { o };
    }, t.timeoutMs);
    assert.ok(!after.o || after.o.replicas.every((r) => r.state !== 'running'));
    await gone(t, j);
  });

  test(`${label}: stop removes every replica of a running job; observe then finds nothing`, async () => {
    const t = await get();
    const j = job(t, 'stopme', 'generic', { Worker: { replicas: 2, script: 'setInterval(()=>{},1000)' } });
    await start(t, j);
    await settle(t, j, (x) => x.replicas.filter((r) => r.state === 'running').length === 2, 'two running');
    await gone(t, j);
    assert.equal(await t.target.observe(j), undefined);
  });
}
