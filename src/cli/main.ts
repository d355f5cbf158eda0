/** The `capstan` command line: kubectl-like verbs, the server, and the tools around them. */
import { Command, CommanderError } from 'commander';
import { builtinKindRegistry } from '../api/kinds/index.js';
import { HttpClient } from '../client/http-client.js';
import { CAPSTAN_VERSION } from '../api/version.js';
import { resolveCliContext } from './cli-config.js';
import { formatCliError } from './cli-errors.js';
import { configSet, configView } from './commands/config-command.js';
import { applyCommand, deleteCommand, describeCommand, getCommand, type CommandEnv } from './commands/resource-commands.js';
import { upCommand } from './commands/up-command.js';
import { runDemo } from './commands/demo.js';
import { registerExtensionCommands } from './extensions/index.js';

/** The simulator's CLI module, loaded only by `capstan sim`. */
const SIM_MODULE = '../sim/cli.js';
const out = (s: string) => process.stdout.write(`${s}\n`);
const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Builds the program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('capstan')
    .description('Capstan: train, register, serve and schedule models, on one machine or on Kubernetes')
    .version(CAPSTAN_VERSION, '--version')
    .option('--server <url>', 'API server URL (env CAPSTAN_SERVER)')
    .option('--token <token>', 'bearer token (env CAPSTAN_TOKEN)')
    .option('-n, --project <name>', 'project (env CAPSTAN_PROJECT)')
    .showHelpAfterError()
    .exitOverride();

  const env = (): CommandEnv => {
    const ctx = resolveCliContext(program.opts(), process.env);
    return { client: new HttpClient({ server: ctx.server, token: ctx.token }), kinds: builtinKindRegistry(), ctx, out };
  };

  program
    .command('up')
    .description('start the platform on this machine (SQLite in the data directory, local runtime)')
    .option('--port <port>', 'port to listen on (env CAPSTAN_PORT, default 8470)')
    .option('--host <host>', 'address to bind (env CAPSTAN_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'data directory (env CAPSTAN_DATA_DIR, default ~/.capstan)')
    .option('--database-url <url>', 'PostgreSQL URL instead of SQLite (env CAPSTAN_DATABASE_URL)')
    .option('--log-level <level>', 'log level (env CAPSTAN_LOG_LEVEL)')
    .option('--config <file>', 'server config file (YAML)')
    .option('--demo', 'also train, register and serve a demo model')
    .option('--metrics-public', 'serve /metrics without a token (env CAPSTAN_METRICS_PUBLIC)')
    .action(async (o) => upCommand(o, out, o.demo ? runDemo : undefined));

  program
    .command('apply')
    .description('create or update objects from YAML/JSON files, directories or - (stdin)')
    .requiredOption('-f, --filename <path>', 'file, directory or -', collect)
    .action(async (o: { filename: string[] }) => {
      if (!(await applyCommand(env(), o.filename))) process.exitCode = 1;
    });

  program
    .command('get')
    .description('list objects or get some by name')
    .argument('<kind>', 'kind (singular, plural or short name), or kind/name')
    .argument('[names...]')
    .option('-o, --output <format>', 'wide | yaml | json | name')
    .option('-w, --watch', 'keep watching for changes')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
    .option('-A, --all-projects', 'list across all projects')
    .action(async (kind: string, names: string[], o) => getCommand(env(), [kind, ...names], o));

  program
    .command('describe')
    .description('show an object with its status, conditions and events')
    .argument('<kind>')
    .argument('[names...]')
    .action(async (kind: string, names: string[]) => describeCommand(env(), [kind, ...names]));

  program
    .command('delete')
    .description('delete objects by name or from files')
    .argument('[kind]')
    .argument('[names...]')
    .option('-f, --filename <path>', 'file, directory or -', collect)
    .action(async (kind: string | undefined, names: string[], o: { filename?: string[] }) => {
      if (!(await deleteCommand(env(), kind ? [kind, ...names] : [], o))) process.exitCode = 1;
    });

  const config = program.command('config').description('where the CLI connects: server, token, project');
  config.command('view').description('print the saved settings').action(() => configView(process.env, out));
  config
    .command('set')
    .description('save settings')
    .option('--server <url>')
    .option('--token <token>')
    .option('--project <name>')
    // --server/--token/--project are also global options, which commander gives to the program.
    .action((o: { server?: string; token?: string; project?: string }) => configSet(process.env, { ...program.opts(), ...o }, out));
  config
    .command('use-project')
    .argument('<name>')
    .description('set the current project')
    .action((name: string) => configSet(process.env, { project: name }, out));

  program
    .command('model-server')
    .description('run the model server (Open Inference Protocol REST/gRPC, KServe V1) on a model repository')
    .helpOption(false)
    .allowUnknownOption()
    .argument('[args...]')
    .action(async (args: string[]) => {
      // Loaded on demand: onnxruntime is heavy and most commands never need it.
      const { modelServerMain } = await import('../serving/model-server/index.js');
      await modelServerMain(args);
    });

  program
    .command('sim')
    .description('replay a job trace through the scheduler in virtual time (capacity planning)')
    .helpOption(false)
    .allowUnknownOption()
    .argument('[args...]')
    .action(async (args: string[]) => {
      const { simMain } = (await import(SIM_MODULE)) as { simMain: (argv: string[]) => Promise<void> };
      await simMain(args);
    });

  registerExtensionCommands(program, env);

  program
    .command('version')
    .description('print client and server versions')
    .action(async () => {
      out(`Client Version: ${CAPSTAN_VERSION}`);
      try {
        const { body } = await env().client.request<{ version: string }>('GET', '/version');
        out(`Server Version: ${body.version}`);
      } catch (err) {
        out(`Server Version: unavailable (${(err as Error).message})`);
      }
    });

  return program;
}

/** Runs the CLI with argv (without node and script). */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`${formatCliError(err)}\n`);
    process.exitCode = 1;
  }
}
