/** Experiment validation: every bad input is a 422 naming its field; Katib YAML converts as is, unsupported Katib fields are named. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ApiError } from '../../src/api/errors.js';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import type { ExperimentSpec } from '../../src/api/kinds/experiment-schema.js';
import { repoRoot } from '../support/repo-root.js';

const kinds = builtinKindRegistry();
const katib = () => parse(readFileSync(join(repoRoot(), 'examples/experiments/katib-random.yaml'), 'utf8')) as Record<string, any>;

function fails(edit: (m: Record<string, any>) => void, field: RegExp, message?: RegExp): void {
  const m = katib();
  edit(m);
  try {
    kinds.decode(m);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, 422, err.message);
    const causes = err.details?.causes ?? [];
    const hit = causes.find((c) => field.test(c.field ?? ''));
    assert.ok(hit, `fields ${JSON.stringify(causes.map((c) => c.field))} do not name ${field}`);
    if (message) assert.match(hit.message, message);
    return;
  }
  assert.fail('expected a 422');
}

test('Katib YAML converts as is, with defaults and the batch Job as a TrainingJob template', () => {
  const { kind, object } = kinds.decode(katib());
  assert.equal(kind.kind, 'Experiment');
  assert.equal(object.apiVersion, 'capstan.dev/v1alpha1');
  const spec = object.spec as ExperimentSpec;
  assert.equal(spec.resumePolicy, 'Never');
  assert.equal(spec.parallelTrialCount, 2);
  assert.equal(spec.parameters[0]!.feasibleSpace.min, '-5');
  // multivariate-tpe is Katib's name for what Capstan's TPE does.
  const m = katib();
  m.spec.algorithm.algorithmName = 'multivariate-tpe';
  assert.equal((kinds.decode(m).object.spec as ExperimentSpec).algorithm.algorithmName, 'tpe');
});

test('bad ranges, empty categoricals and bad settings are 422s naming the field', () => {
  fails((m) => (m.spec.parameters[0].feasibleSpace = { min: '10', max: '-5' }), /^spec\.parameters\[0\]\.feasibleSpace$/, /above max/);
  fails((m) => (m.spec.parameters[0].feasibleSpace = { min: '1', max: '1' }), /^spec\.parameters\[0\]\.feasibleSpace$/, /empty range/);
  fails((m) => (m.spec.parameters[1] = { name: 'y', parameterType: 'categorical', feasibleSpace: { list: [] } }), /^spec\.parameters\[1\]\.feasibleSpace\.list$/);
  fails((m) => (m.spec.parameters[0].feasibleSpace.min = 'abc'), /^spec\.parameters\[0\]\.feasibleSpace\.min$/);
  fails((m) => (m.spec.parameters[0].feasibleSpace = { min: '0', max: '1', distribution: 'logUniform' }), /^spec\.parameters\[0\]\.feasibleSpace\.min$/, /min > 0/);
  fails((m) => (m.spec.parameters[0].feasibleSpace.distribution = 'normal'), /distribution$/);
  fails((m) => (m.spec.algorithm.algorithmName = 'grid'), /^spec\.algorithm\.algorithmName$/, /step/);
  fails((m) => (m.spec.algorithm = { algorithmName: 'tpe', algorithmSettings: [{ name: 'gamma', value: '3' }] }), /^spec\.algorithm\.algorithmSettings$/, /gamma/);
  fails((m) => (m.spec.algorithm.algorithmName = 'annealing'), /^spec\.algorithm\.algorithmName$/);
  fails((m) => (m.spec.parallelTrialCount = 10), /^spec\.parallelTrialCount$/);
  fails((m) => (m.spec.objective.metricStrategies = [{ name: 'acc', value: 'max' }]), /metricStrategies\[0\]\.name$/);
  fails((m) => (m.spec.earlyStopping = { algorithmName: 'medianstop', algorithmSettings: [{ name: 'start_step', value: '0' }] }), /^spec\.earlyStopping\.algorithmSettings$/);
  fails((m) => (m.spec.metricsCollectorSpec = { collector: { kind: 'File' } }), /fileSystemPath$/);
  fails((m) => (m.spec.metricsCollectorSpec = { source: { filter: { metricsFormat: ['([a-z]+'] } } }), /metricsFormat\[0\]$/);
});

test('the template: unknown placeholders, unused or unknown trial parameters, and a job that would not validate', () => {
  fails((m) => m.spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command.push('--z=${trialParameters.z}'), /^spec\.trialTemplate\.trialSpec$/, /trialParameters\.z/);
  fails((m) => (m.spec.trialTemplate.trialParameters[1].reference = 'w'), /trialParameters\[1\]\.reference$/);
  fails((m) => m.spec.trialTemplate.trialParameters.push({ name: 'lr', reference: 'x' }), /trialParameters\[2\]\.name$/, /not used/);
  fails((m) => (m.spec.trialTemplate.trialSpec.spec.template.spec.containers[0].volumeMounts = []), /trialSpec\.spec\.template\.spec\.containers\[0\]\.volumeMounts$/);
  fails((m) => (m.spec.trialTemplate.trialSpec.kind = 'Deployment'), /trialSpec\.kind$/);
  fails((m) => (m.spec.trialTemplate.trialSpec = { apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', spec: { framework: 'pytorch', replicaSpecs: { Boss: { template: { command: ['x', '${trialParameters.x}', '${trialParameters.y}'] } } } } }), /trialSpec\.spec\.replicaSpecs\.Boss$/);
});

test('Katib fields Capstan does not support are named', () => {
  fails((m) => (m.spec.nasConfig = { graphConfig: {} }), /^spec\.nasConfig$/);
  fails((m) => (m.spec.algorithm.algorithmName = 'hyperband'), /^spec\.algorithm\.algorithmName$/, /not implemented/);
  fails((m) => (m.spec.metricsCollectorSpec.collector.kind = 'TensorFlowEvent'), /collector\.kind$/);
  fails((m) => (m.spec.trialTemplate.successCondition = 'status.phase == "Done"'), /successCondition$/);
  fails((m) => (m.spec.trialTemplate.configMap = { configMapName: 'x' }), /configMap$/);
  fails((m) => (m.spec.unknownField = 1), /^spec\.unknownField$/);
  // The stock success condition Katib examples carry is accepted.
  const m = katib();
  m.spec.trialTemplate.successCondition = 'status.conditions.#(type=="Complete")#|#(status=="True")#';
  m.spec.trialTemplate.failureCondition = 'status.conditions.#(type=="Failed")#|#(status=="True")#';
  assert.equal(kinds.decode(m).kind.kind, 'Experiment');
});
