/**
 * Opens a model version's session with a tuned thread count and a calibrated compute profile.
 * Explicit threads (flag or option) are used as given; otherwise the candidates allowed by the CPU
 * budget (thread-choice.ts) are each opened and calibrated, the fewest threads within 10% of the
 * best are kept and the other sessions released. On a 2-core budget the only candidate is 1.
 */
import type { Logger } from 'pino';
import { calibrateSession, type Calibration } from './calibration.js';
import { createSession, tensorMetadataOf, type ModelSession, type RuntimeOptions } from './ort-session.js';
import { chooseThreads, threadCandidates, type ThreadTrial } from './thread-choice.js';
import type { TensorMetadata } from './infer-types.js';

/**
 * With sessionThread 'auto', a model whose calibrated full batch takes longer than this runs on a
 * worker thread: on the event loop it would hold up parsing and 503 answers for that long per batch.
 */
export const AUTO_WORKER_BATCH_MS = 2;

/** A session with how it was chosen. */
export interface TunedSession {
  session: ModelSession;
  threads: number;
  /** Where session.run executes. */
  sessionThread: 'worker' | 'event-loop';
  /** How threads were chosen. */
  threadSource: 'explicit' | 'calibrated';
  /** Undefined when the model could not run on synthetic inputs. */
  calibration?: Calibration;
  trials: ThreadTrial[];
  calibrationError?: string;
}

/** Max batch size implied by shapes and config (0 = no batching); throws when the config asks for batching the model cannot do. */
export function maxBatchSizeOf(inputs: readonly TensorMetadata[], outputs: readonly TensorMetadata[], configured: number | undefined, fallback: number): number {
  const batchable = [...inputs, ...outputs].every((t) => t.shape.length >= 1 && t.shape[0] === -1);
  if (configured !== undefined && configured > 0 && !batchable) {
    throw new Error(`max_batch_size ${configured} needs every input and output to have a variable first dimension`);
  }
  return configured ?? (batchable ? fallback : 0);
}

/** Opens, calibrates and (when threads are not given) picks the thread count. */
/** Runs `fn` alone among the calls given the same function (the manager serializes calibrations with it). */
export type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

export async function openTunedSession(
  path: string, runtime: RuntimeOptions, configuredMaxBatch: number | undefined, fallbackMaxBatch: number, log: Logger,
  exclusive: Exclusive = (fn) => fn(),
): Promise<TunedSession> {
  const explicit = runtime.intraOpThreads;
  const candidates = explicit !== undefined ? [explicit] : threadCandidates(runtime.cpuBudget);
  const trials: ThreadTrial[] = [];
  const opened: Array<{ session: ModelSession; threads: number; calibration?: Calibration }> = [];
  let calibrationError: string | undefined;
  try {
    for (const threads of candidates) {
      const session = await createSession(path, { ...runtime, intraOpThreads: threads }, log);
      opened.push({ session, threads });
      try {
        const inputs = tensorMetadataOf(session.inputMetadata, 'input');
        const outputs = tensorMetadataOf(session.outputMetadata, 'output');
        const maxBatch = maxBatchSizeOf(inputs, outputs, configuredMaxBatch, fallbackMaxBatch);
        // One calibration at a time: models loading in parallel would otherwise time each other's runs.
        const calibration = await exclusive(() => calibrateSession(session, inputs, maxBatch));
        opened[opened.length - 1].calibration = calibration;
        trials.push({ threads, rowsPerSec: calibration.rowsPerSec });
      } catch (err) {
        // Not runnable on zero inputs (or unsupported metadata, which ModelVersion reports): keep this one.
        calibrationError = (err as Error).message;
        break;
      }
    }
  } catch (err) {
    for (const o of opened) await o.session.release().catch(() => {});
    throw err;
  }
  const pick = calibrationError !== undefined ? opened[opened.length - 1].threads : chooseThreads(trials);
  const best = opened.find((o) => o.threads === pick)!;
  for (const o of opened) if (o !== best) await o.session.release().catch(() => {});
  let chosen = best;
  let sessionThread: 'worker' | 'event-loop' = runtime.sessionThread === 'worker' ? 'worker' : 'event-loop';
  // The fastest full-batch run: a busy machine inflates medians, and a tiny model must not move to a worker for that.
  const longest = chosen.calibration?.minimums[chosen.calibration.minimums.length - 1]?.ms ?? 0;
  if (runtime.sessionThread === 'auto' && longest > AUTO_WORKER_BATCH_MS) {
    // Reopen on a worker thread with the chosen threads (the calibration stays valid: same kernels).
    const session = await createSession(path, { ...runtime, intraOpThreads: chosen.threads, sessionThread: 'worker' }, log);
    await chosen.session.release().catch(() => {});
    chosen = { ...chosen, session };
    sessionThread = 'worker';
  }
  return {
    session: chosen.session, threads: chosen.threads, sessionThread, threadSource: explicit !== undefined ? 'explicit' : 'calibrated',
    calibration: chosen.calibration, trials, calibrationError,
  };
}
