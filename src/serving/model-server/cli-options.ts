/** Parses `capstan model-server` flags into a frozen options object. */
import { parseArgs } from 'node:util';

/** Parsed command-line flags. */
export interface ModelServerCliOptions {
  modelRepository?: string;
  models: string[];
  httpPort: number;
  grpcPort?: number;
  host: string;
  intraOpThreads?: number;
  interOpThreads?: number;
  /** Cores this server may use (bounds the automatic thread choice). */
  cpuBudget?: number;
  /** Memory budget of the loaded models (bytes). */
  memoryBudgetBytes?: number;
  loadOnDemand: boolean;
  maxBodyBytes?: number;
  executionProvider: 'cpu' | 'cuda';
  sessionThread: 'worker' | 'event-loop' | 'auto';
  logLevel: string;
}

function intFlag(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/** Parses argv (without node/script); throws an Error naming the bad flag. */
export function parseModelServerArgs(argv: readonly string[]): Readonly<ModelServerCliOptions> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      'model-repository': { type: 'string' },
      model: { type: 'string', multiple: true },
      'http-port': { type: 'string' },
      'grpc-port': { type: 'string' },
      host: { type: 'string' },
      'intra-op-threads': { type: 'string' },
      'inter-op-threads': { type: 'string' },
      'cpu-budget': { type: 'string' },
      'model-memory-budget': { type: 'string' },
      'load-on-demand': { type: 'boolean' },
      'max-body-bytes': { type: 'string' },
      'execution-provider': { type: 'string' },
      'session-thread': { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
  const ep = values['execution-provider'] ?? 'cpu';
  if (ep !== 'cpu' && ep !== 'cuda') throw new Error(`--execution-provider must be cpu or cuda, got '${ep}'`);
  const st = values['session-thread'] ?? 'auto';
  if (st !== 'worker' && st !== 'event-loop' && st !== 'auto') throw new Error(`--session-thread must be auto, worker or event-loop, got '${st}'`);
  const models = values.model ?? [];
  if (!values['model-repository'] && models.length === 0) throw new Error('give --model-repository DIR or at least one --model NAME=PATH');
  return Object.freeze({
    modelRepository: values['model-repository'],
    models,
    httpPort: intFlag('http-port', values['http-port'], 0) ?? 8080,
    grpcPort: intFlag('grpc-port', values['grpc-port'], 0),
    host: values.host ?? '127.0.0.1',
    intraOpThreads: intFlag('intra-op-threads', values['intra-op-threads'], 1),
    interOpThreads: intFlag('inter-op-threads', values['inter-op-threads'], 1),
    cpuBudget: intFlag('cpu-budget', values['cpu-budget'], 1),
    memoryBudgetBytes: intFlag('model-memory-budget', values['model-memory-budget'], 1),
    loadOnDemand: values['load-on-demand'] === true,
    maxBodyBytes: intFlag('max-body-bytes', values['max-body-bytes'], 1),
    executionProvider: ep,
    sessionThread: st,
    logLevel: values['log-level'] ?? 'info',
  });
}
