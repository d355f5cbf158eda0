/** The training capability's platform module: its controllers and routes. */
import type { PlatformModule } from '../server/platform-module.js';

/** Installs the training controllers and routes. */
export const trainingModule: PlatformModule = {
  name: 'training',
  install() {
    // Filled in as the capability is built.
  },
};
