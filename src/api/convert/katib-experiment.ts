/**
 * Katib (kubeflow.org/v1beta1) Experiment → Capstan Experiment. Capstan's schema is Katib's, so
 * the spec is carried over as is; what Capstan cannot honour (NAS, config-map templates, custom
 * success conditions, collectors other than StdOut and File, algorithms it does not implement) is
 * a 422 naming each field. Unknown fields are left for the strict schema to name.
 */
import { invalid, type StatusCause } from '../errors.js';
import { asRecord, CAPSTAN_API_VERSION, convertMetadata, unsupported } from './kueue-common.js';
import type { KindConversion } from '../kind.js';

/** The Katib API version accepted. */
export const KATIB_API_VERSION = 'kubeflow.org/v1beta1';

// Katib's algorithm names Capstan maps onto its own (its TPE is multivariate already).
const ALGORITHM_ALIASES: Record<string, string> = { 'multivariate-tpe': 'tpe' };
const NOT_IMPLEMENTED = ['cmaes', 'hyperband', 'sobol', 'enas', 'darts', 'pbt'];
// Katib's stock success/failure conditions for Jobs and Kubeflow jobs: what Capstan's TrainingJob phases mean anyway.
const SUCCESS = /^status\.conditions\.#\(type=="(Complete|Succeeded)"\)#\|#\(status=="True"\)#$/;
const FAILURE = /^status\.conditions\.#\(type=="Failed"\)#\|#\(status=="True"\)#$/;

function convertExperiment(obj: Record<string, unknown>): Record<string, unknown> {
  const causes: StatusCause[] = [];
  const spec = { ...asRecord(obj.spec) };
  if (spec.nasConfig !== undefined) causes.push(unsupported('spec.nasConfig', 'neural architecture search is not supported'));
  const algo = { ...asRecord(spec.algorithm) };
  const name = String(algo.algorithmName ?? '');
  if (ALGORITHM_ALIASES[name]) algo.algorithmName = ALGORITHM_ALIASES[name];
  else if (NOT_IMPLEMENTED.includes(name)) causes.push(unsupported('spec.algorithm.algorithmName', `${name} is not implemented: use random, grid, tpe, multivariate-tpe or bayesianoptimization`));
  if (spec.algorithm !== undefined) spec.algorithm = algo;
  const tt = { ...asRecord(spec.trialTemplate) };
  if (tt.configMap !== undefined) causes.push(unsupported('spec.trialTemplate.configMap', 'give the template inline as trialSpec'));
  if (tt.primaryPodLabels !== undefined) causes.push(unsupported('spec.trialTemplate.primaryPodLabels', 'a trial\'s primary replica is its Master, Chief or first replica'));
  if (tt.successCondition !== undefined && !SUCCESS.test(String(tt.successCondition))) causes.push(unsupported('spec.trialTemplate.successCondition', 'only the stock condition (type Complete or Succeeded is True): a trial succeeds when its TrainingJob does'));
  if (tt.failureCondition !== undefined && !FAILURE.test(String(tt.failureCondition))) causes.push(unsupported('spec.trialTemplate.failureCondition', 'only the stock condition (type Failed is True): a trial fails when its TrainingJob does'));
  delete tt.successCondition;
  delete tt.failureCondition;
  if (spec.trialTemplate !== undefined) spec.trialTemplate = tt;
  const mc = asRecord(spec.metricsCollectorSpec);
  const collector = asRecord(mc.collector);
  if (collector.kind !== undefined && !['StdOut', 'File', 'None'].includes(String(collector.kind))) causes.push(unsupported('spec.metricsCollectorSpec.collector.kind', `${String(collector.kind)} is not supported: use StdOut, File or None (Capstan's own metric lines are always read)`));
  if (collector.customCollector !== undefined) causes.push(unsupported('spec.metricsCollectorSpec.collector.customCollector', 'custom collectors are not supported'));
  const source = asRecord(mc.source);
  for (const k of ['httpGet', 'tcpSocket']) if (source[k] !== undefined) causes.push(unsupported(`spec.metricsCollectorSpec.source.${k}`, 'only file system paths and stdout'));
  const fsp = asRecord(source.fileSystemPath);
  if (fsp.kind !== undefined && fsp.kind !== 'File') causes.push(unsupported('spec.metricsCollectorSpec.source.fileSystemPath.kind', 'only File (a Directory is for TensorFlow events)'));
  const meta = convertMetadata(obj.metadata, false);
  if (causes.length > 0) throw invalid('Experiment', String(meta.name ?? ''), causes);
  return { apiVersion: CAPSTAN_API_VERSION, kind: 'Experiment', metadata: meta, spec };
}

/** kubeflow.org/v1beta1 Experiment → Experiment. */
export const katibExperimentConversion: KindConversion = {
  apiVersion: KATIB_API_VERSION,
  kind: 'Experiment',
  convert: convertExperiment,
};
