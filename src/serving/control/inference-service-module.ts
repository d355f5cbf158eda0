/** The inference-services capability's platform module: its controllers and routes. */
import type { PlatformModule } from '../../server/platform-module.js';

/** Installs the inference-services controllers and routes. */
export const inferenceServiceModule: PlatformModule = {
  name: 'inference-services',
  install() {
    // Filled in as the capability is built.
  },
};
