// Reads a trace file in any supported format (the parsers themselves are pure text → jobs).
import { readFile, access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseCapstanTrace } from './trace-capstan.js';
import { parsePhillyTrace } from './trace-philly.js';
import { parsePaiTrace } from './trace-pai.js';
import { parseHeliosTrace } from './trace-helios.js';
import { parseOpenbTrace } from './trace-openb.js';
import type { TraceParseOptions, TraceParseResult } from './trace-types.js';

/** Supported trace formats. */
export type TraceFormat = 'capstan' | 'philly' | 'pai' | 'helios' | 'openb';

/** Guess a format from a file name. */
export function guessFormat(path: string): TraceFormat {
  const base = path.toLowerCase();
  if (base.includes('cluster_job_log') || base.endsWith('.json')) return 'philly';
  if (base.includes('pai_task_table')) return 'pai';
  if (base.includes('cluster_log')) return 'helios';
  if (base.includes('openb_pod_list')) return 'openb';
  return 'capstan';
}

/** Load and parse a trace file. For PAI, a pai_job_table.csv beside the task table supplies users. */
export async function loadTrace(path: string, format: TraceFormat, opts: TraceParseOptions & { paiJobTable?: string } = {}): Promise<TraceParseResult> {
  const text = await readFile(path, 'utf8');
  if (format === 'philly') return parsePhillyTrace(text, opts);
  if (format === 'helios') return parseHeliosTrace(text, opts);
  if (format === 'openb') return parseOpenbTrace(text, opts);
  if (format === 'pai') {
    const sibling = opts.paiJobTable ?? join(dirname(path), 'pai_job_table.csv');
    const jobText = await access(sibling).then(() => readFile(sibling, 'utf8'), () => undefined);
    return parsePaiTrace(text, jobText, opts);
  }
  return parseCapstanTrace(text, opts);
}
