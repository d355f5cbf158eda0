/** The kubernetes capability's platform module: its controllers and routes. */
import type { PlatformModule } from '../../server/platform-module.js';

/** Installs the kubernetes controllers and routes. */
export const kubernetesModule: PlatformModule = {
  name: 'kubernetes',
  install() {
    // Filled in as the capability is built.
  },
};
