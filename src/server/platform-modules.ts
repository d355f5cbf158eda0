/** Every capability module, in install order. */
import { inferenceServiceModule } from '../serving/control/inference-service-module.js';
import { kubernetesModule } from '../runtime/kubernetes/kubernetes-module.js';
import { queueingModule } from '../queueing/queueing-module.js';
import { registryModule } from '../registry/registry-module.js';
import { trainingModule } from '../training/training-module.js';
import { dashboardModule } from '../web/dashboard-module.js';
import { experimentModule } from '../experiments/experiment-module.js';
import type { PlatformModule } from './platform-module.js';

/** The modules the platform installs. */
export const PLATFORM_MODULES: PlatformModule[] = [registryModule, queueingModule, inferenceServiceModule, trainingModule, kubernetesModule, dashboardModule, experimentModule];
