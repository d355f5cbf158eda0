/** Every capability module, in install order. */
import { inferenceServiceModule } from '../serving/control/inference-service-module.js';
import { createKubernetesModule } from '../runtime/kubernetes/kubernetes-module.js';
import { opsModule } from '../ops/ops-module.js';
import { queueingModule } from '../queueing/queueing-module.js';
import { registryModule } from '../registry/registry-module.js';
import { trainingModule } from '../training/training-module.js';
import { pipelinesModule } from '../pipelines/pipelines-module.js';
import { dashboardModule } from '../web/dashboard-module.js';
import { experimentModule } from '../experiments/experiment-module.js';
import type { PlatformModule } from './platform-module.js';
import { ScopedTokens } from './scoped-tokens.js';

/** The kubernetes runtime, given the server's scoped tokens for registry pulls (the server wires, the runtime never imports it). */
const kubernetesModule = createKubernetesModule({ registryTokens: (ctx) => new ScopedTokens(ctx.backend) });

/** The modules the platform installs. */
export const PLATFORM_MODULES: PlatformModule[] = [registryModule, queueingModule, inferenceServiceModule, trainingModule, kubernetesModule, dashboardModule, opsModule, pipelinesModule, experimentModule];
