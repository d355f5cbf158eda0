/** The dashboard capability's platform module: its controllers and routes. */
import type { PlatformModule } from '../server/platform-module.js';

/** Installs the dashboard controllers and routes. */
export const dashboardModule: PlatformModule = {
  name: 'dashboard',
  install() {
    // Filled in as the capability is built.
  },
};
