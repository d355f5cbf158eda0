/** The ModelRegistrar backed by the model registry capability (undefined until the registry offers one). */
import type { PlatformContext } from '../server/platform-module.js';
import type { ModelRegistrar } from './model-registrar.js';

/** The registrar the platform uses. */
export function registryRegistrar(ctx: PlatformContext): ModelRegistrar | undefined {
  void ctx;
  return undefined;
}
