/** The queueing capability's platform module: its controllers and routes. */
import type { PlatformModule } from '../server/platform-module.js';

/** Installs the queueing controllers and routes. */
export const queueingModule: PlatformModule = {
  name: 'queueing',
  install() {
    // Filled in as the capability is built.
  },
};
