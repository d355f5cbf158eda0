/** Every kind Capstan serves; new kinds are added to this list. */
import type { Kind } from '../kind.js';
import { KindRegistry } from '../kind-registry.js';
import { EventKind } from './event.js';
import { ProjectKind } from './project.js';

/** The built-in kinds. */
export const BUILTIN_KINDS: Kind[] = [ProjectKind, EventKind];

/** A registry holding every built-in kind. */
export function builtinKindRegistry(): KindRegistry {
  return new KindRegistry(BUILTIN_KINDS);
}
