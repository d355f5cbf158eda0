// The compute-target contract on this machine: LocalJobTarget (process groups, real children).
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import pino from 'pino';
import { LocalJobRuntime } from '../../src/training/local-job-runtime.js';
import { LocalJobTarget } from '../../src/training/local-job-target.js';
import { jobTargetContract } from '../runtime/job-target-contract.js';

const dir = mkdtempSync(`${tmpdir()}/capstan-contract-local-`);
const runtime = new LocalJobRuntime({ log: pino({ level: 'silent' }), onChange: () => undefined, restartBaseDelayMs: 50 });

after(async () => {
  await runtime.stopAll(500);
  rmSync(dir, { recursive: true, force: true });
});

jobTargetContract('local', async () => ({
  target: new LocalJobTarget(runtime, { dataDir: dir, baseEnv: { PATH: process.env.PATH ?? '' }, defaultCwd: dir }),
  namespace: 'contract',
  node: process.execPath,
  image: 'unused',
  timeoutMs: 20_000,
}));
