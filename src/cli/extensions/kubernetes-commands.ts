/** CLI commands of the kubernetes capability: `capstan export --target kubernetes`. */
import type { Command } from 'commander';
import { builtinKindRegistry } from '../../api/kinds/index.js';
import { exportManifests } from '../../runtime/kubernetes/export-manifests.js';
import type { CommandEnv } from '../commands/resource-commands.js';
import { readManifests } from '../manifests.js';

/** Adds the kubernetes commands to the program; `env()` connects lazily. */
export function registerKubernetesCommands(program: Command, env: () => CommandEnv): void {
  void env;
  program
    .command('export')
    .description('print the Kubernetes manifests Capstan would apply for a file of objects (review them or keep them in Git)')
    .requiredOption('-f, --filename <path...>', 'files or directories of manifests ("-" for stdin); KServe/Kubeflow/Kueue YAML too')
    .option('--target <target>', 'what to export for', 'kubernetes')
    .option('--image <image>', 'the Capstan image replicas run', 'ghcr.io/capstan-dev/capstan:0.1.0')
    .option('--registry-url <url>', 'Capstan\'s URL as pods on the cluster reach it', 'http://capstan.capstan-system.svc:8470')
    .option('--ingress', 'add an Ingress (paths /predict, /models, /v2, /v1) to every InferenceService')
    .action((opts: { filename: string[]; target: string; image: string; registryUrl: string; ingress?: boolean }) => {
      if (opts.target !== 'kubernetes') throw new Error(`--target: only "kubernetes" is supported, got "${opts.target}"`);
      const docs = opts.filename.flatMap((f) => readManifests(f)).map((d) => d.object);
      process.stdout.write(exportManifests(docs, builtinKindRegistry(), { image: opts.image, registryUrl: opts.registryUrl, namespace: (program.opts() as { project?: string }).project ?? process.env.CAPSTAN_PROJECT ?? 'default', ...(opts.ingress ? { ingress: true } : {}) }));
    });
}
