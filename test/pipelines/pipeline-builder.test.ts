/** The TypeScript builder emits IR the compiler accepts and the planner runs like the hand-written samples. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { component, definePipeline } from '../../src/pipelines/pipeline-builder.js';
import { compileKfpIr } from '../../src/pipelines/kfp-ir-compiler.js';
import { parseIrDocument } from '../../src/pipelines/ir-document.js';
import { planRun } from '../../src/pipelines/dag-planner.js';
import type { TaskStatus } from '../../src/api/kinds/pipeline-schemas.js';

const square = component({ name: 'square', image: 'busybox', command: ['sh', '-c', 'echo $(($0*$0)) > "$1"'], args: ["{{$.inputs.parameters['x']}}", "{{$.outputs.parameters['Output'].output_file}}"], inputs: { x: 'NUMBER_INTEGER' }, outputs: { Output: 'NUMBER_INTEGER' } });
const total = component({ name: 'total', image: 'python', command: ['python3', '-c', 'pass', "{{$.inputs.parameters['xs']}}", "{{$.outputs.parameters['Output'].output_file}}"], inputs: { xs: 'LIST' }, outputs: { Output: 'NUMBER_INTEGER' } });
const say = component({ name: 'say', image: 'busybox', command: ['echo', "{{$.inputs.parameters['msg']}}"], inputs: { msg: 'STRING' } });

test('definePipeline: parallelFor with parallelism and fan-in, .after, .if → IR that compiles and runs', () => {
  const p = definePipeline('built', { xs: { type: 'LIST', default: [1, 2, 3] } });
  const sq = p.task('square', square, { x: p.item() }).parallelFor(p.param('xs'), { parallelism: 2 });
  const sum = p.task('total', total, { xs: p.collect(sq, 'Output') }).after(sq);
  p.task('big', say, { msg: 'big' }).after(sum).if(sum.output('Output'), '==', 14);
  p.task('small', say, { msg: 'small' }).after(sum).if(sum.output('Output'), '!=', 14);
  const parsed = parseIrDocument(p.toYAML());
  assert.ok(parsed.ok);
  const r = compileKfpIr(parsed.doc.pipelineSpec);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  let tasks: Record<string, TaskStatus> = {};
  const ran: string[] = [];
  for (let i = 0; i < 50; i++) {
    const plan = planRun({ pipeline: r.pipeline, runName: 'b', params: { xs: [1, 2, 3] }, tasks, cancel: false, now: i });
    tasks = { ...plan.tasks };
    if (plan.phase !== 'Running') break;
    assert.ok(plan.start.filter((s) => s.id.includes('square')).length <= 2);
    for (const s of plan.start) {
      ran.push(s.id);
      const out = s.id.endsWith('square') ? { Output: (s.parameters.x as number) ** 2 } : s.id === 'total' ? { Output: (s.parameters.xs as number[]).reduce((a, b) => a + b, 0) } : {};
      tasks[s.id] = { ...tasks[s.id]!, phase: 'Succeeded', outputs: { parameters: out } };
    }
  }
  assert.equal(tasks.total!.outputs!.parameters!.Output, 14);
  assert.ok(ran.some((x) => x.endsWith('/big')));
  assert.ok(!ran.some((x) => x.endsWith('/small')));
});
