/** TrainingJob lifecycle on the local runtime, through the real platform and queue, with small shell/node commands. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import type { TrainingJobStatus } from '../../src/api/kinds/training-job-schema.js';
import type { KubeObject } from '../../src/api/meta.js';
import { WorkloadKind } from '../../src/queueing/index.js';
import { startTrainingPlatform, waitFor, type TrainingTestPlatform } from './training-platform.js';

let tp: TrainingTestPlatform;
before(async () => {
  tp = await startTrainingPlatform();
});
after(async () => {
  await tp.stop();
});

function job(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: 'default' }, spec };
}

function sh(script: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { template: { command: ['/bin/sh', '-c', script] }, ...extra };
}

async function status(name: string): Promise<TrainingJobStatus> {
  const o = await tp.client.get(TrainingJobKind, 'default', name);
  return (o.status ?? {}) as TrainingJobStatus;
}

async function untilPhase(name: string, phases: string[], timeoutMs = 30_000): Promise<TrainingJobStatus> {
  return waitFor(`${name} in ${phases.join('/')}`, async () => {
    const s = await status(name);
    return s.phase && phases.includes(s.phase) ? s : undefined;
  }, timeoutMs);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process whose process group is `pgid` (the replica and all it spawned). */
function groupMembers(pgid: number): number[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,pgid='], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter(([, g]) => g === pgid).map(([p]) => p!);
}

test('a job succeeds: replicas run as a gang, metrics reach status and the series, logs are served, the workload finishes', async () => {
  const script = `echo "hello from $CAPSTAN_ROLE $CAPSTAN_INDEX"; echo 'CAPSTAN_METRIC {"step": 1, "loss": 0.9}'; echo '{"step": 2, "loss": 0.25, "accuracy": 0.93}' >> "$CAPSTAN_METRICS_FILE"`;
  await tp.client.create(TrainingJobKind, job('ok', { replicaSpecs: { Worker: sh(script, { replicas: 2 }) } }));
  const s = await untilPhase('ok', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Succeeded', JSON.stringify(s.conditions));
  assert.deepEqual(s.replicaStatuses?.Worker && { ...s.replicaStatuses.Worker, restarts: undefined }, { active: 0, succeeded: 2, failed: 0, restarts: undefined });
  assert.equal(s.metrics?.loss, 0.25);
  assert.equal(s.metrics?.accuracy, 0.93);
  assert.ok(s.startTime && s.completionTime);
  const types = (s.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type).sort();
  assert.deepEqual(types, ['Created', 'Succeeded']);
  const log = await tp.client.request<string>('GET', '/apis/capstan.dev/v1alpha1/namespaces/default/trainingjobs/ok/log?role=worker&index=1');
  assert.match(String(log.body), /hello from worker 1/);
  const metrics = await tp.client.request<{ points: Array<{ values: Record<string, number> }> }>('GET', '/apis/capstan.dev/v1alpha1/namespaces/default/trainingjobs/ok/metrics');
  assert.equal(metrics.body.points.length, 4);
  const wl = await tp.client.get(WorkloadKind, 'default', 'trainingjob-ok');
  assert.ok((wl.status as { conditions?: Array<{ type: string; status: string }> }).conditions?.some((c) => c.type === 'Finished' && c.status === 'True'));
});

test('OnFailure restarts a failing replica until it succeeds', async () => {
  const script = 'f="$CAPSTAN_OUTPUT_DIR/count"; n=$(cat "$f" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$f"; [ $n -ge 3 ]';
  await tp.client.create(TrainingJobKind, job('flaky', { replicaSpecs: { Worker: sh(script, { restartPolicy: 'OnFailure' }) }, runPolicy: { backoffLimit: 5 } }));
  const s = await untilPhase('flaky', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Succeeded');
  assert.equal(s.restarts, 2);
});

test('backoffLimit exhausted fails the job with BackoffLimitExceeded', async () => {
  await tp.client.create(TrainingJobKind, job('doomed', { replicaSpecs: { Worker: sh('echo boom >&2; exit 3', { restartPolicy: 'OnFailure' }) }, runPolicy: { backoffLimit: 2 } }));
  const s = await untilPhase('doomed', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Failed');
  assert.equal(s.restarts, 2);
  const failed = s.conditions?.find((c) => c.type === 'Failed');
  assert.equal(failed?.reason, 'BackoffLimitExceeded');
  assert.match(failed?.message ?? '', /exit code 3/);
});

test('Never: one failure fails the job and stops the other replicas', async () => {
  await tp.client.create(TrainingJobKind, job('never', { replicaSpecs: { Master: sh('exit 7'), Worker: sh('sleep 300', { replicas: 2 }) }, framework: 'pytorch' }));
  const s = await untilPhase('never', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Failed');
  assert.equal(s.conditions?.find((c) => c.type === 'Failed')?.reason, 'ReplicaFailed');
  assert.equal(tp.runtime().has('default/never', (await tp.client.get(TrainingJobKind, 'default', 'never')).metadata.uid), false);
});

test('a command that does not exist fails within seconds, naming it', async () => {
  await tp.client.create(TrainingJobKind, job('nocmd', { replicaSpecs: { Worker: { template: { command: ['/no/such/trainer', '--epochs', '3'] }, restartPolicy: 'OnFailure' } } }));
  const s = await untilPhase('nocmd', ['Failed', 'Succeeded'], 10_000);
  assert.equal(s.phase, 'Failed');
  const failed = s.conditions?.find((c) => c.type === 'Failed');
  assert.equal(failed?.reason, 'StartError');
  assert.match(failed?.message ?? '', /\/no\/such\/trainer/);
});

test('activeDeadlineSeconds ends a job hanging at rendezvous, and nothing is left running', async () => {
  await tp.client.create(TrainingJobKind, job('hang', { framework: 'pytorch', replicaSpecs: { Master: sh('sleep 300'), Worker: sh('sleep 300') }, runPolicy: { activeDeadlineSeconds: 1 } }));
  await waitFor('replicas running', () => tp.runtime().pids('default/hang').length === 2);
  const pids = tp.runtime().pids('default/hang');
  const s = await untilPhase('hang', ['Failed', 'Succeeded']);
  assert.equal(s.conditions?.find((c) => c.type === 'Failed')?.reason, 'DeadlineExceeded');
  await waitFor('processes gone', () => pids.every((p) => !alive(p)), 10_000);
});

test('suspend frees the quota and stops the replicas; resume requeues and runs again', async () => {
  await tp.client.create(TrainingJobKind, job('pause', { replicaSpecs: { Worker: sh('sleep 300') } }));
  await untilPhase('pause', ['Running']);
  const [pid] = tp.runtime().pids('default/pause');
  await tp.client.patch(TrainingJobKind, 'default', 'pause', { spec: { runPolicy: { suspend: true } } });
  const s = await untilPhase('pause', ['Suspended']);
  assert.equal(s.conditions?.find((c) => c.type === 'Suspended')?.status, 'True');
  await waitFor('replica stopped', () => !alive(pid!), 10_000);
  await waitFor('workload withdrawn', async () => !(await tp.client.tryGet(WorkloadKind, 'default', 'trainingjob-pause')));
  await tp.client.patch(TrainingJobKind, 'default', 'pause', { spec: { runPolicy: { suspend: false } } });
  const r = await untilPhase('pause', ['Running']);
  assert.equal(r.conditions?.find((c) => c.type === 'Suspended')?.status, 'False');
  assert.ok(await tp.client.tryGet(WorkloadKind, 'default', 'trainingjob-pause'));
  await tp.client.delete(TrainingJobKind, 'default', 'pause');
});

test('delete kills the whole process tree of every replica', async () => {
  // Each replica forks children that would outlive a plain kill of the shell.
  await tp.client.create(TrainingJobKind, job('tree', { replicaSpecs: { Worker: sh('sleep 301 & sleep 302 & wait', { replicas: 2 }) } }));
  await untilPhase('tree', ['Running']);
  const groups = tp.runtime().pids('default/tree');
  const members = await waitFor('children forked', () => {
    const m = groups.flatMap(groupMembers);
    return m.length >= 6 ? m : undefined;
  });
  await tp.client.delete(TrainingJobKind, 'default', 'tree');
  await waitFor('every process gone', () => members.every((p) => !alive(p)), 10_000);
  assert.deepEqual(groups.flatMap(groupMembers), []);
});

test('the queue holds a job whose resources no flavor can satisfy, and says why', async () => {
  await tp.client.create(TrainingJobKind, job('huge', { replicaSpecs: { Worker: { template: { command: ['true'], resources: { cpu: '4096' } } } } }));
  const s = await untilPhase('huge', ['Queued']);
  const q = s.conditions?.find((c) => c.type === 'Queued');
  assert.equal(q?.status, 'True');
  assert.ok((q?.message ?? '').length > 0);
  assert.deepEqual(tp.runtime().pids('default/huge'), []);
  await tp.client.delete(TrainingJobKind, 'default', 'huge');
});

test('a Kubeflow PyTorchJob is accepted as is and its replicas get the rendezvous env', async () => {
  const pj: KubeObject = {
    apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: { name: 'kf', namespace: 'default' } as KubeObject['metadata'],
    spec: {
      pytorchReplicaSpecs: {
        Master: { replicas: 1, restartPolicy: 'OnFailure', template: { spec: { containers: [{ name: 'pytorch', image: 'pytorch:2', command: ['/bin/sh', '-c', 'echo "RANK=$RANK WORLD=$WORLD_SIZE ADDR=$MASTER_ADDR PORT=$MASTER_PORT"'] }] } } },
        Worker: { replicas: 2, restartPolicy: 'OnFailure', template: { spec: { containers: [{ name: 'pytorch', image: 'pytorch:2', command: ['/bin/sh', '-c', 'echo "RANK=$RANK WORLD=$WORLD_SIZE ADDR=$MASTER_ADDR PORT=$MASTER_PORT"'] }] } } },
      },
    },
  };
  await tp.client.apply(TrainingJobKind, pj);
  const s = await untilPhase('kf', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Succeeded');
  const logOf = async (role: string, index: number) => String((await tp.client.request<string>('GET', `/apis/capstan.dev/v1alpha1/namespaces/default/trainingjobs/kf/log?role=${role}&index=${index}`)).body);
  const master = await logOf('master', 0);
  const w2 = await logOf('worker', 1);
  const port = /PORT=(\d+)/.exec(master)?.[1];
  assert.match(master, /RANK=0 WORLD=3 ADDR=127\.0\.0\.1 PORT=\d+/);
  assert.match(w2, new RegExp(`RANK=2 WORLD=3 ADDR=127\\.0\\.0\\.1 PORT=${port}`));
});

test('capstan logs trainingjob/NAME --role --index -f streams a replica log until it ends', async () => {
  const { logsCommand } = await import('../../src/cli/extensions/training-commands.js');
  const { builtinKindRegistry } = await import('../../src/api/kinds/index.js');
  await tp.client.create(TrainingJobKind, job('talk', { replicaSpecs: { Worker: sh('for i in 1 2 3; do echo "line $i from $CAPSTAN_INDEX"; sleep 0.2; done', { replicas: 2 }) } }));
  await untilPhase('talk', ['Running', 'Succeeded']);
  let text = '';
  const env = { client: tp.client, kinds: builtinKindRegistry(), ctx: { server: tp.url, token: tp.token, project: 'default' }, out: () => undefined } as unknown as Parameters<typeof logsCommand>[0];
  await logsCommand(env, ['trainingjob/talk'], { role: 'worker', index: '1', follow: true }, (s) => (text += s));
  assert.equal(text, 'line 1 from 1\nline 2 from 1\nline 3 from 1\n');
  let tail = '';
  await logsCommand(env, ['tj', 'talk'], { role: 'Worker', index: '0', tail: '1' }, (s) => (tail += s));
  assert.equal(tail, 'line 3 from 0\n');
  await assert.rejects(logsCommand(env, ['tj/talk'], { role: 'ps' }, () => undefined), /role "ps" is not in this job/);
});
