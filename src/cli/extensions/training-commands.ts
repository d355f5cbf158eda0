/**
 * CLI commands of the training capability: `capstan logs KIND/NAME` (for any kind with a `/log`
 * route: trainingjob with --role/--index, inferenceservice with --replica/--revision) and the
 * hidden `capstan train-demo` (the Node-only iris trainer, runnable as a TrainingJob replica).
 */
import type { Command } from 'commander';
import { resourcePath } from '../../client/http-client.js';
import { statusToError } from '../../client/http-client.js';
import { ApiError } from '../../api/errors.js';
import { METRIC_PREFIX } from '../../training/metric-lines.js';
import { trainDemoModel } from '../../training/demo/train-demo.js';
import type { CommandEnv } from '../commands/resource-commands.js';
import { parseKindArgs } from '../kind-arg.js';

/** Options of `capstan logs`. */
export interface LogsOptions {
  role?: string;
  index?: string;
  replica?: string;
  revision?: string;
  follow?: boolean;
  tail?: string;
}

/** Streams a replica's log from `…/{plural}/{name}/log` to `write`; resolves when the server ends the stream. */
export async function logsCommand(env: CommandEnv, target: string[], o: LogsOptions, write: (chunk: string) => void): Promise<void> {
  const { kind, names } = parseKindArgs(env.kinds, target);
  if (names.length !== 1) throw new Error('give exactly one object, e.g. capstan logs trainingjob/mnist --role worker --index 1');
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ role: o.role, index: o.index, replica: o.replica, revision: o.revision, tail: o.tail })) if (v !== undefined) q.set(k, v);
  if (o.follow) q.set('follow', 'true');
  const url = `${env.ctx.server.replace(/\/+$/, '')}${resourcePath(kind, kind.namespaced ? env.ctx.project : undefined, names[0]!, 'log')}?${q}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: env.ctx.token ? { authorization: `Bearer ${env.ctx.token}` } : {} });
  } catch (err) {
    throw new ApiError('ServiceUnavailable', `cannot reach the Capstan server at ${env.ctx.server}: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the text is the message.
    }
    throw statusToError(res.status, body);
  }
  if (!res.body) return;
  const decoder = new TextDecoder();
  for await (const chunk of res.body) write(decoder.decode(chunk as Uint8Array, { stream: true }));
}

/** Adds the training commands to the program; `env()` connects lazily. */
export function registerTrainingCommands(program: Command, env: () => CommandEnv): void {
  // One `logs` command serves every kind with a /log route; whichever capability registers first owns it.
  if (!program.commands.some((c) => c.name() === 'logs')) {
    program
      .command('logs')
      .description('print a replica\'s log: trainingjob/NAME --role worker --index 1, or inferenceservice/NAME --replica 0')
      .argument('<target...>', 'KIND/NAME or KIND NAME')
      .option('--role <role>', 'training role (Master, Worker, PS, Chief, ...); default the first role')
      .option('--index <n>', 'replica index within the role (default 0)')
      .option('--replica <n>', 'inference replica number')
      .option('--revision <name>', 'inference revision')
      .option('--tail <lines>', 'only the last N lines')
      .option('-f, --follow', 'keep streaming while the replica runs')
      .action(async (target: string[], o: LogsOptions) => logsCommand(env(), target, o, (s) => process.stdout.write(s)));
  }

  program
    .command('train-demo', { hidden: true })
    .description('train the demo iris MLP in Node and write model.onnx (a TrainingJob replica command)')
    .option('--out <dir>', 'output directory (default $CAPSTAN_OUTPUT_DIR, else ./demo-model)')
    .option('--epochs <n>', 'training epochs', '200')
    .action((o: { out?: string; epochs: string }) => {
      const out = o.out ?? process.env.CAPSTAN_OUTPUT_DIR ?? 'demo-model';
      const epochs = Number(o.epochs);
      if (!Number.isInteger(epochs) || epochs < 1) throw new Error('--epochs must be a positive integer');
      const model = trainDemoModel(out, {
        epochs,
        onEpoch: (step, loss, accuracy) => process.stdout.write(`${METRIC_PREFIX}${JSON.stringify({ step, loss: Number(loss.toFixed(5)), accuracy: Number(accuracy.toFixed(5)) })}\n`),
      });
      process.stdout.write(`wrote ${model.onnxPath} (test accuracy ${model.metrics.accuracy.toFixed(3)})\n`);
    });
}
