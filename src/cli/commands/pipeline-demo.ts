/** The pipeline step of `capstan up --demo`: a two-task pipeline built with the TypeScript builder, uploaded and run. */
import type { HttpClient } from '../../client/http-client.js';
import { PIPELINE_LABEL, PipelineKind, PipelineRunKind, PipelineVersionKind } from '../../api/kinds/pipeline-kinds.js';
import type { PipelineRunStatus } from '../../api/kinds/pipeline-schemas.js';
import { component, definePipeline } from '../../pipelines/pipeline-builder.js';

const NS = 'default';

/** Uploads and runs the demo pipeline; prints what happened, never throws. */
export async function runPipelineDemo(client: HttpClient, out: (s: string) => void): Promise<void> {
  try {
    const add = component({ name: 'add', image: 'busybox', command: ['sh', '-c', 'echo $(($0 + $1)) > "$2"'], args: ["{{$.inputs.parameters['a']}}", "{{$.inputs.parameters['b']}}", "{{$.outputs.parameters['Output'].output_file}}"], inputs: { a: 'NUMBER_INTEGER', b: 'NUMBER_INTEGER' }, outputs: { Output: 'NUMBER_INTEGER' } });
    const p = definePipeline('demo-add', { a: { type: 'NUMBER_INTEGER', default: 2 } });
    const first = p.task('add', add, { a: p.param('a'), b: 3 });
    p.task('add-again', add, { a: first.output('Output'), b: 10 }).after(first);
    if (!(await client.tryGet(PipelineKind, NS, 'demo-add'))) await client.create(PipelineKind, { apiVersion: PipelineKind.apiVersion, kind: 'Pipeline', metadata: { name: 'demo-add', namespace: NS }, spec: {} });
    if (!(await client.tryGet(PipelineVersionKind, NS, 'demo-add-v1'))) {
      await client.create(PipelineVersionKind, { apiVersion: PipelineVersionKind.apiVersion, kind: 'PipelineVersion', metadata: { name: 'demo-add-v1', namespace: NS, labels: { [PIPELINE_LABEL]: 'demo-add' } }, spec: { pipeline: 'demo-add', pipelineSpec: p.toIR() } });
    }
    const name = `demo-add-${Date.now().toString(36)}`;
    await client.create(PipelineRunKind, { apiVersion: PipelineRunKind.apiVersion, kind: 'PipelineRun', metadata: { name, namespace: NS }, spec: { pipeline: 'demo-add', parameters: { a: 2 } } });
    const until = Date.now() + 60_000;
    let st: PipelineRunStatus = {};
    while (Date.now() < until) {
      st = ((await client.get(PipelineRunKind, NS, name)).status ?? {}) as PipelineRunStatus;
      if (st.phase === 'Succeeded' || st.phase === 'Failed') break;
      await new Promise((r) => setTimeout(r, 300));
    }
    const result = st.tasks?.['add-again']?.outputs?.parameters?.Output;
    out(`  8. pipeline demo-add (2 tasks, each a TrainingJob through the queue): ${st.phase ?? 'Pending'}${result !== undefined ? `, (2 + 3) + 10 = ${String(result)}` : ''}`);
    out(`     capstan pipelines get ${name}`);
  } catch (err) {
    out(`  Pipeline demo stopped: ${(err as Error).message}`);
  }
}
