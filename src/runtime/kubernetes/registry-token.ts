/**
 * The registry token of an InferenceService on a cluster: a scoped token (src/server/scoped-tokens.ts)
 * that may only read its model in its project (the Model, and the model's versions with their
 * artifacts), kept in a Secret the Deployment's init container reads through secretKeyRef.
 */
import type { TokenOwner, TokenScope } from '../../server/scoped-tokens.js';

/**
 * What the runtime needs of the server's scoped tokens, handed in by the composition root
 * (src/server/platform-modules.ts), so runtime/kubernetes never imports the server at run time.
 */
export interface RegistryTokenIssuer {
  issue(owner: TokenOwner, scope: TokenScope): Promise<string>;
  ofOwner(uid: string): Promise<{ scope: TokenScope; deliveredTo?: string[] } | undefined>;
  markDelivered(uid: string, where: string): Promise<void>;
  revokeOwner(uid: string): Promise<void>;
}

/**
 * Read-only access to one model of one project: `get` on the Model and on its versions (and their
 * artifacts). Versions are matched by their `spec.model`, never by name: `digits-v1.0.0-rc-v1.0.0`
 * may be a version of model `digits-v1.0.0-rc`.
 */
export function modelReadScope(namespace: string, model: string): TokenScope {
  return {
    namespace,
    rules: [
      { verbs: ['get'], resource: 'capstan.dev/models', names: [model] },
      { verbs: ['get'], resource: 'capstan.dev/modelversions', model },
    ],
  };
}

/** The registry model an InferenceService predictor pulls (`digits` of `digits@production`), or undefined for a storageUri. */
export function registryModelOf(predictor: { model?: string; storageUri?: string }): string | undefined {
  if (predictor.storageUri || !predictor.model) return undefined;
  return predictor.model.split('@')[0] || undefined;
}
