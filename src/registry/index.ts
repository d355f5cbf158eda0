/** Public surface of the model registry: reference resolution, alias history, and (below) artifact access. */
export { resolveModelRef, listModelVersions, modelAliases, type ModelVersionObject } from './resolve-model-ref.js';
export { parseModelRef, parseSelector, pickVersion, latestOf, aliasNameProblem, type ModelRef, type RefSelector, type VersionLike } from './model-ref.js';
export { applyAliasMove, rollbackTarget, aliasesAt, parseAtInstant, nextVersion, type AliasMoveRequest } from './alias-history.js';
export {
  MODEL_LABEL,
  MODEL_VERSION_LABEL,
  MODEL_IN_USE_FINALIZER,
  ModelVersionKind,
  modelVersionName,
  semverProblem,
  type ModelArtifact,
  type ModelSignature,
  type ModelVersionSpec,
  type ModelVersionStatus,
} from '../api/kinds/model-version.js';
export { ModelKind, type AliasMove, type AliasTarget, type ModelStatus } from '../api/kinds/model.js';
