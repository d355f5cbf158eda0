/**
 * The cache key of a container task, pure: what it runs (image, command, args with their
 * placeholders, env, resources-independent), the values of its input parameters and the digests of
 * its input artifacts, and the outputs it declares. Same key → same outputs, so a hit may reuse them.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../store/canonical-json.js';
import type { ArtifactValue } from './dag-planner.js';
import type { ContainerExec, Interface } from './pipeline-model.js';

/** sha256 hex of the task's identity. */
export function taskCacheKey(exec: ContainerExec, parameters: Record<string, unknown>, artifacts: Record<string, ArtifactValue>, outputs: Interface): string {
  const digests = Object.fromEntries(Object.entries(artifacts).map(([k, v]) => [k, Array.isArray(v) ? v.map((a) => a.digest) : v.digest]));
  const identity = {
    image: exec.image,
    command: exec.command,
    args: exec.args,
    env: exec.env,
    parameters,
    artifacts: digests,
    outputs: { parameters: Object.fromEntries(Object.entries(outputs.parameters).map(([k, d]) => [k, d.type])), artifacts: Object.keys(outputs.artifacts).sort() },
  };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}
