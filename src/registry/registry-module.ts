/** The registry capability's platform module: its controllers and routes. */
import type { PlatformModule } from '../server/platform-module.js';

/** Installs the registry controllers and routes. */
export const registryModule: PlatformModule = {
  name: 'registry',
  install() {
    // Filled in as the capability is built.
  },
};
