/** Where a training job's files live under the data dir: logs, metrics, output, per job instance (uid). */
import { join } from 'node:path';
import { replicaKey, type ReplicaRef } from '../runtime/rendezvous-env.js';

/** The file layout of one job instance. */
export interface JobFiles {
  dir: string;
  logFile(r: ReplicaRef): string;
  metricsFile(r: ReplicaRef): string;
  seriesFile: string;
  outputDir: string;
}

/** `<dataDir>/training/<namespace>/<name>/<uid>/…`: a re-created job never reads its predecessor's logs. */
export function jobFiles(dataDir: string, namespace: string, name: string, uid: string): JobFiles {
  const dir = join(dataDir, 'training', namespace, name, uid);
  return {
    dir,
    logFile: (r) => join(dir, 'logs', `${replicaKey(r)}.log`),
    metricsFile: (r) => join(dir, 'metrics', `${replicaKey(r)}.jsonl`),
    seriesFile: join(dir, 'metrics.jsonl'),
    outputDir: join(dir, 'output'),
  };
}
