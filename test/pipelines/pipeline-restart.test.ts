/** A platform kill -9 mid-run: after the restart the run resumes without running its finished tasks again. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpClient } from '../../src/client/http-client.js';
import { PipelineKind, PipelineRunKind, PipelineVersionKind } from '../../src/api/kinds/pipeline-kinds.js';
import type { PipelineRunStatus } from '../../src/api/kinds/pipeline-schemas.js';
import { startServerProcess, type ServerProcess } from '../support/spawn-capstan.js';
import { waitFor } from '../training/training-platform.js';

function chain(log: string): Record<string, unknown> {
  const step = (name: string, script: string, dep?: string) => ({ componentRef: { name: `comp-${name}` }, taskInfo: { name }, ...(dep ? { dependentTasks: [dep] } : {}), _script: script });
  const steps = [step('first', `echo first >> ${log}`), step('slow', `echo slow >> ${log}; sleep 4`, 'first'), step('last', `echo last >> ${log}`, 'slow')];
  return {
    pipelineInfo: { name: 'restart' },
    components: Object.fromEntries(steps.map((s) => [s.componentRef.name, { executorLabel: `exec-${s.taskInfo.name}` }])),
    deploymentSpec: { executors: Object.fromEntries(steps.map((s) => [`exec-${s.taskInfo.name}`, { container: { image: 'busybox', command: ['sh', '-c', s._script] } }])) },
    root: { dag: { tasks: Object.fromEntries(steps.map(({ _script, ...s }) => [s.taskInfo.name, s])) } },
    schemaVersion: '2.1.0',
  };
}

test('kill -9 while a task runs: the run resumes; the finished task is not run again', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-plr-'));
  const log = join(dataDir, 'steps.log');
  let server: ServerProcess | undefined;
  try {
    server = await startServerProcess(dataDir);
    const client = () => new HttpClient({ server: server!.url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim() });
    await client().create(PipelineKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Pipeline', metadata: { name: 'restart', namespace: 'default' }, spec: {} });
    await client().create(PipelineVersionKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineVersion', metadata: { name: 'restart-v1', namespace: 'default', labels: { 'capstan.dev/pipeline': 'restart' } }, spec: { pipeline: 'restart', pipelineSpec: chain(log) } });
    await client().create(PipelineRunKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineRun', metadata: { name: 'r1', namespace: 'default' }, spec: { pipeline: 'restart' } });
    await waitFor('slow started', () => existsSync(log) && readFileSync(log, 'utf8').includes('slow'), 60_000);
    server.child.kill('SIGKILL');
    await new Promise((r) => server!.child.once('exit', r));
    server = await startServerProcess(dataDir);
    const s = await waitFor('run finished after restart', async () => {
      const st = ((await client().get(PipelineRunKind, 'default', 'r1')).status ?? {}) as PipelineRunStatus;
      return st.phase === 'Succeeded' || st.phase === 'Failed' ? st : undefined;
    }, 90_000);
    assert.equal(s.phase, 'Succeeded', s.message);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(lines.filter((l) => l === 'first').length, 1, `first ran once: ${lines.join(',')}`);
    assert.equal(lines.filter((l) => l === 'last').length, 1);
    assert.ok(lines.filter((l) => l === 'slow').length >= 1);
  } finally {
    server?.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
