/** TrainingJob schema, validation (422 naming the field) and Kubeflow TFJob/PyTorchJob conversion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import type { TrainingJobSpec } from '../../src/api/kinds/training-job-schema.js';

const kinds = builtinKindRegistry();

function decode(obj: Record<string, unknown>) {
  return kinds.decode(obj);
}

function tj(spec: Record<string, unknown>) {
  return { apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'j', namespace: 'default' }, spec };
}

function fails(obj: Record<string, unknown>, field: RegExp, code = 422): ApiError {
  try {
    decode(obj);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    const fields = (err.details?.causes ?? []).map((c) => c.field ?? '');
    assert.ok(fields.some((f) => field.test(f)), `fields ${JSON.stringify(fields)} do not name ${field}`);
    return err;
  }
  assert.fail('expected an error');
}

const worker = { template: { command: ['true'] } };

test('defaults: generic framework, Never, backoffLimit 3, queue default, one replica', () => {
  const { kind, object } = decode(tj({ replicaSpecs: { Worker: worker } }));
  assert.equal(kind.kind, 'TrainingJob');
  const spec = object.spec as TrainingJobSpec;
  assert.equal(spec.framework, 'generic');
  assert.equal(spec.queueName, 'default');
  assert.deepEqual(spec.runPolicy, { backoffLimit: 3, suspend: false });
  assert.deepEqual(spec.replicaSpecs.Worker, { replicas: 1, restartPolicy: 'Never', template: { command: ['true'] } });
  assert.equal(kinds.find('tj')?.kind, 'TrainingJob');
});

test('zero and negative replicas are 422 naming the field', () => {
  fails(tj({ replicaSpecs: { Worker: { ...worker, replicas: 0 } } }), /^spec\.replicaSpecs\.Worker\.replicas$/);
  fails(tj({ replicaSpecs: { Worker: { ...worker, replicas: -2 } } }), /^spec\.replicaSpecs\.Worker\.replicas$/);
});

test('a role unknown to the framework is 422 naming it', () => {
  const err = fails(tj({ framework: 'pytorch', replicaSpecs: { Master: worker, PS: worker } }), /^spec\.replicaSpecs\.PS$/);
  assert.match(err.message, /Master, Worker/);
  fails(tj({ framework: 'tensorflow', replicaSpecs: { Launcher: worker } }), /^spec\.replicaSpecs\.Launcher$/);
});

test('invalid TensorFlow cluster shapes are 422', () => {
  fails(tj({ framework: 'tensorflow', replicaSpecs: { Chief: { ...worker, replicas: 2 }, Worker: worker } }), /^spec\.replicaSpecs\.Chief\.replicas$/);
  fails(tj({ framework: 'tensorflow', replicaSpecs: { Chief: worker, Master: worker } }), /^spec\.replicaSpecs\.Master$/);
  fails(tj({ framework: 'tensorflow', replicaSpecs: { PS: worker } }), /^spec\.replicaSpecs\.Worker$/);
  fails(tj({ framework: 'pytorch', replicaSpecs: { Master: { ...worker, replicas: 2 } } }), /^spec\.replicaSpecs\.Master\.replicas$/);
});

test('other bad fields: empty roles, unknown keys, bad restart policy, bad quantities, output path escaping', () => {
  fails(tj({ replicaSpecs: {} }), /^spec\.replicaSpecs$/);
  fails(tj({ replicaSpecs: { Worker: { ...worker, restartPolicy: 'Always' } } }), /restartPolicy$/);
  fails(tj({ replicaSpecs: { Worker: { template: { command: ['x'], volumes: [] } } } }), /template\.volumes$/);
  fails(tj({ replicaSpecs: { Worker: { template: { command: ['x'], resources: { cpu: 'lots' } } } } }), /resources\.cpu$/);
  fails(tj({ replicaSpecs: { Worker: worker }, output: { model: 'm', path: '../../etc/passwd' } }), /^spec\.output\.path$/);
  fails(tj({ replicaSpecs: { 'bad role!': worker } }), /replicaSpecs/);
});

const seedTfJob = {
  apiVersion: 'kubeflow.org/v1',
  kind: 'TFJob',
  metadata: { name: 'tf-training-job', namespace: 'default' },
  spec: {
    tfReplicaSpecs: {
      Worker: {
        replicas: 3,
        template: { spec: { containers: [{ name: 'tensorflow', image: 'tensorflow/tensorflow:2.8.0-gpu', resources: { requests: { memory: '2Gi', cpu: '1', 'nvidia.com/gpu': 1 }, limits: { memory: '4Gi', cpu: '2', 'nvidia.com/gpu': 1 } } }], restartPolicy: 'OnFailure' } },
      },
      PS: {
        replicas: 1,
        template: { spec: { containers: [{ name: 'tensorflow', image: 'tensorflow/tensorflow:2.8.0', resources: { requests: { memory: '1Gi', cpu: '0.5' }, limits: { memory: '2Gi', cpu: '1' } } }] } },
      },
    },
  },
};

test('the seed TFJob converts: roles, requests, GPUs, restart policy from the pod spec', () => {
  const { kind, object } = decode(seedTfJob);
  assert.equal(kind.kind, 'TrainingJob');
  const spec = object.spec as TrainingJobSpec;
  assert.equal(spec.framework, 'tensorflow');
  assert.deepEqual(spec.replicaSpecs.Worker, { replicas: 3, restartPolicy: 'OnFailure', template: { image: 'tensorflow/tensorflow:2.8.0-gpu', resources: { cpu: '1', memory: '2Gi', gpu: 1 } } });
  assert.deepEqual(spec.replicaSpecs.PS, { replicas: 1, restartPolicy: 'Never', template: { image: 'tensorflow/tensorflow:2.8.0', resources: { cpu: '0.5', memory: '1Gi' } } });
});

test('a PyTorchJob converts with its run policy, scheduling policy and env; role case is normalised', () => {
  const { object } = decode({
    apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: { name: 'p', namespace: 'default' },
    spec: {
      runPolicy: { backoffLimit: 5, activeDeadlineSeconds: 60, cleanPodPolicy: 'All', schedulingPolicy: { queue: 'research', priorityClass: 'high' } },
      pytorchReplicaSpecs: {
        master: { replicas: 1, restartPolicy: 'ExitCode', template: { spec: { containers: [{ name: 'pytorch', command: ['python3', 'train.py'], args: ['--lr', 0.1], env: [{ name: 'EPOCHS', value: '3' }], workingDir: '/src' }] } } },
        Worker: { replicas: 2, template: { spec: { containers: [{ name: 'pytorch', command: ['python3', 'train.py'] }] } } },
      },
    },
  });
  const spec = object.spec as TrainingJobSpec;
  assert.equal(spec.framework, 'pytorch');
  assert.equal(spec.queueName, 'research');
  assert.equal(spec.priorityClassName, 'high');
  assert.deepEqual(spec.runPolicy, { backoffLimit: 5, activeDeadlineSeconds: 60, suspend: false });
  assert.deepEqual(spec.replicaSpecs.Master?.template, { command: ['python3', 'train.py'], args: ['--lr', '0.1'], env: [{ name: 'EPOCHS', value: '3' }], workingDir: '/src' });
  assert.equal(spec.replicaSpecs.Master?.restartPolicy, 'ExitCode');
});

test('unsupported Kubeflow fields are errors naming each field', () => {
  const base = (extra: Record<string, unknown>, container: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}) => ({
    apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: { name: 'p', namespace: 'default' },
    spec: { pytorchReplicaSpecs: { Master: { template: { spec: { containers: [{ name: 'c', command: ['x'], ...container }], ...podSpec } } } }, ...extra },
  });
  fails(base({ elasticPolicy: { minReplicas: 1 } }), /^spec\.elasticPolicy$/, 400);
  fails(base({}, { volumeMounts: [] }), /containers\[0\]\.volumeMounts$/, 400);
  fails(base({}, {}, { volumes: [] }), /template\.spec\.volumes$/, 400);
  fails(base({}, { env: [{ name: 'A', valueFrom: { secretKeyRef: {} } }] }), /env\[0\]\.valueFrom$/, 400);
  fails(base({}, { resources: { limits: { 'example.com/fpga': 1 } } }), /resources\.limits\.example\.com\/fpga$/, 400);
  fails(base({ runPolicy: { cleanPodPolicy: 'None' } }), /^spec\.runPolicy\.cleanPodPolicy$/, 400);
  fails(base({}, {}, { restartPolicy: 'Always' }), /template\.spec\.restartPolicy$/, 400);
  fails(base({}, {}, { containers: [{ name: 'a', command: ['x'] }, { name: 'sidecar' }] }), /containers\[1\]$/, 400);
  fails({ ...seedTfJob, spec: { ...seedTfJob.spec, enableDynamicWorker: true } }, /^spec\.enableDynamicWorker$/, 400);
});

test('converted jobs still get the TrainingJob rules (roles for the framework)', () => {
  fails({ apiVersion: 'kubeflow.org/v1', kind: 'TFJob', metadata: { name: 't', namespace: 'default' }, spec: { tfReplicaSpecs: { Launcher: { template: { spec: { containers: [{ name: 'c', command: ['x'] }] } } } } } }, /^spec\.replicaSpecs\.Launcher$/);
});
