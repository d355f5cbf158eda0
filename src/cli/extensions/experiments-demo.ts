/**
 * The tuning step of `capstan up --demo`: a small Experiment (random search over the iris
 * trainer's epochs, three trials one at a time, goal accuracy 0.97) whose trials are TrainingJobs
 * through the queue; it waits a little for the result and prints the best trial.
 */
import { ExperimentKind } from '../../api/kinds/experiment.js';
import type { ExperimentStatus } from '../../api/kinds/experiment-schema.js';
import type { HttpClient } from '../../client/http-client.js';

const NAME = 'iris-tuning';

/** Applies the demo experiment (trials run `trainer` with `--epochs N`) and reports its best trial, waiting at most `waitMs`. */
export async function runDemoExperiment(client: HttpClient, trainer: string[], out: (s: string) => void, waitMs = 120_000): Promise<void> {
  const existing = await client.tryGet(ExperimentKind, 'default', NAME);
  if (!existing) {
    await client.apply(ExperimentKind, {
      apiVersion: 'capstan.dev/v1alpha1',
      kind: 'Experiment',
      metadata: { name: NAME, namespace: 'default' },
      spec: {
        objective: { type: 'maximize', goal: 0.97, objectiveMetricName: 'accuracy', additionalMetricNames: ['loss'] },
        algorithm: { algorithmName: 'random', algorithmSettings: [{ name: 'random_state', value: '1' }] },
        parallelTrialCount: 1,
        maxTrialCount: 3,
        parameters: [{ name: 'epochs', parameterType: 'int', feasibleSpace: { min: '20', max: '200' } }],
        metricsCollectorSpec: { collector: { kind: 'None' } },
        trialTemplate: {
          trialParameters: [{ name: 'epochs', reference: 'epochs' }],
          trialSpec: {
            apiVersion: 'capstan.dev/v1alpha1',
            kind: 'TrainingJob',
            spec: { replicaSpecs: { Trainer: { template: { command: trainer, args: ['--epochs', '${trialParameters.epochs}'], resources: { cpu: '1', memory: '256Mi' } } } }, runPolicy: { backoffLimit: 0, activeDeadlineSeconds: 300 } },
          },
        },
      },
    });
    out(`  6. experiment/${NAME} applied: random search over the trainer's epochs, 3 trials through the queue`);
  }
  const until = Date.now() + waitMs;
  for (;;) {
    const st = ((await client.get(ExperimentKind, 'default', NAME)).status ?? {}) as ExperimentStatus;
    if (st.phase === 'Succeeded' || st.phase === 'Failed') {
      const best = st.currentOptimalTrial;
      const acc = best?.observation.metrics.find((m) => m.name === 'accuracy')?.value;
      out(`  7. tuned: ${st.phase} (${st.completionReason ?? ''}); best ${best ? `${best.bestTrialName} with ${best.parameterAssignments.map((a) => `${a.name}=${a.value}`).join(' ')}, accuracy ${acc?.toFixed(3)}` : 'none'}`);
      out(`     capstan experiments trials ${NAME}`);
      return;
    }
    if (Date.now() > until) {
      out(`  7. the experiment is still running: capstan experiments trials ${NAME}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
