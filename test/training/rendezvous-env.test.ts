/** The pure rendezvous env: PyTorch ranks, TF_CONFIG, GPUs and Capstan's variables. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { portsNeeded, rendezvousEnv, replicaKey, tfConfig, type RendezvousInput } from '../../src/runtime/rendezvous-env.js';

const base = (over: Partial<RendezvousInput>): RendezvousInput => ({
  job: 'mnist', namespace: 'team', framework: 'pytorch', roles: [], ports: {}, metricsFile: (r) => `/m/${replicaKey(r)}.jsonl`, outputDir: '/out', ...over,
});

test('PyTorch: master is rank 0, workers 1..n, all point at the master port', () => {
  const input = base({ roles: [{ role: 'Worker', replicas: 2 }, { role: 'Master', replicas: 1 }], ports: { 'master-0': 41000 } });
  assert.deepEqual(portsNeeded('pytorch', input.roles), [{ role: 'Master', index: 0 }]);
  const m = rendezvousEnv(input, { role: 'Master', index: 0 });
  const w1 = rendezvousEnv(input, { role: 'Worker', index: 1 });
  assert.deepEqual([m.MASTER_ADDR, m.MASTER_PORT, m.WORLD_SIZE, m.RANK, m.LOCAL_RANK], ['127.0.0.1', '41000', '3', '0', '0']);
  assert.deepEqual([w1.MASTER_PORT, w1.WORLD_SIZE, w1.RANK], ['41000', '3', '2']);
  assert.equal(w1.TF_CONFIG, undefined);
});

test('PyTorch without a Master: worker 0 is rank 0 and holds the port', () => {
  const input = base({ roles: [{ role: 'Worker', replicas: 3 }], ports: { 'worker-0': 5000 } });
  assert.deepEqual(portsNeeded('pytorch', input.roles), [{ role: 'Worker', index: 0 }]);
  assert.equal(rendezvousEnv(input, { role: 'Worker', index: 2 }).RANK, '2');
  assert.equal(rendezvousEnv(input, { role: 'Worker', index: 0 }).MASTER_PORT, '5000');
});

test('TensorFlow: every cluster member has its own address; the evaluator is outside the cluster', () => {
  const roles = [{ role: 'Chief', replicas: 1 }, { role: 'PS', replicas: 2 }, { role: 'Worker', replicas: 2 }, { role: 'Evaluator', replicas: 1 }];
  const needs = portsNeeded('tensorflow', roles).map(replicaKey);
  assert.deepEqual(needs, ['chief-0', 'ps-0', 'ps-1', 'worker-0', 'worker-1']);
  const ports = Object.fromEntries(needs.map((k, i) => [k, 7000 + i]));
  const input = base({ framework: 'tensorflow', roles, ports });
  const cfg = JSON.parse(rendezvousEnv(input, { role: 'PS', index: 1 }).TF_CONFIG!);
  assert.deepEqual(cfg, {
    cluster: { chief: ['127.0.0.1:7000'], ps: ['127.0.0.1:7001', '127.0.0.1:7002'], worker: ['127.0.0.1:7003', '127.0.0.1:7004'] },
    task: { type: 'ps', index: 1 },
    environment: 'cloud',
  });
  assert.deepEqual(tfConfig(input, { role: 'Evaluator', index: 0 }).task, { type: 'evaluator', index: 0 });
  assert.equal(rendezvousEnv(input, { role: 'Worker', index: 0 }).MASTER_ADDR, undefined);
});

test('Capstan variables and GPUs from the admission; no assignment hides every GPU', () => {
  const input = base({ framework: 'generic', roles: [{ role: 'Trainer', replicas: 2 }], gpus: { 'trainer-1': [2, 3] } });
  const e0 = rendezvousEnv(input, { role: 'Trainer', index: 0 });
  const e1 = rendezvousEnv(input, { role: 'Trainer', index: 1 });
  assert.deepEqual(
    { job: e1.CAPSTAN_JOB, ns: e1.CAPSTAN_NAMESPACE, role: e1.CAPSTAN_ROLE, index: e1.CAPSTAN_INDEX, m: e1.CAPSTAN_METRICS_FILE, out: e1.CAPSTAN_OUTPUT_DIR, gpu: e1.CUDA_VISIBLE_DEVICES },
    { job: 'mnist', ns: 'team', role: 'trainer', index: '1', m: '/m/trainer-1.jsonl', out: '/out', gpu: '2,3' },
  );
  assert.equal(e0.CUDA_VISIBLE_DEVICES, '');
  assert.equal(e0.RANK, undefined);
});

test('the same input always gives the same env (pure)', () => {
  const input = base({ roles: [{ role: 'Master', replicas: 1 }, { role: 'Worker', replicas: 4 }], ports: { 'master-0': 1234 } });
  assert.deepEqual(rendezvousEnv(input, { role: 'Worker', index: 3 }), rendezvousEnv(input, { role: 'Worker', index: 3 }));
});
