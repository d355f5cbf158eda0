/** A platform for training tests: the real modules, with the training module's timings shortened. */
import { PLATFORM_MODULES } from '../../src/server/platform-modules.js';
import type { LocalJobRuntime } from '../../src/training/local-job-runtime.js';
import { createTrainingModule, type TrainingModuleOptions } from '../../src/training/training-module.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

/** A started platform with its training runtime exposed. */
export interface TrainingTestPlatform extends TestPlatform {
  runtime: () => LocalJobRuntime;
}

/** Starts the platform in this process on ephemeral ports and a temp data dir. */
export async function startTrainingPlatform(opts: TrainingModuleOptions = {}): Promise<TrainingTestPlatform> {
  const training = createTrainingModule({ gracePeriodMs: 2000, restartBaseDelayMs: 50, ...opts });
  const modules = PLATFORM_MODULES.map((m) => (m.name === 'training' ? training : m));
  const tp = await startTestPlatform({}, { modules });
  return { ...tp, runtime: () => training.runtime! };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
