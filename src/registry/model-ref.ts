/**
 * Model references (`digits@1.2.0`, `digits@^1.2`, `digits@production`, `digits@latest`,
 * `digits`) parsed and resolved against a model's versions and aliases. Pure: no I/O.
 */
import semver from 'semver';
import { ApiError } from '../api/errors.js';
import { semverProblem } from '../api/kinds/model-version.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../api/meta.js';

/** What a reference selects. */
export type RefSelector =
  | { kind: 'latest' }
  | { kind: 'exact'; version: string }
  | { kind: 'range'; range: string }
  | { kind: 'alias'; alias: string };

/** A parsed reference. */
export interface ModelRef {
  model: string;
  selector: RefSelector;
  /** The text after `@` as given (`latest` when absent). */
  raw: string;
}

/** The least a version needs for resolution. */
export interface VersionLike {
  spec: { version: string };
}

function bad(field: string, message: string): ApiError {
  return new ApiError('BadRequest', `${field}: ${message}`, { causes: [{ reason: 'FieldValueInvalid', field, message }] });
}

/** Why `name` cannot be an alias (a DNS label that does not look like a version or range), or undefined (pure). */
export function aliasNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 63 || !DNS1123_LABEL.test(name)) return `"${name.slice(0, 80)}" is not a lowercase DNS-1123 label`;
  if (name === 'latest') return '"latest" is reserved: it always means the highest version';
  // aliases must never be readable as a version or range, so `digits@x` has exactly one meaning
  if (semver.validRange(name) !== null) return `"${name}" reads as a SemVer range; pick a name such as production or staging`;
  return undefined;
}

/** Parses the selector part of a reference (after `@`); `field` names the input in errors (pure). */
export function parseSelector(text: string, field = 'ref'): RefSelector {
  const s = text.trim();
  if (s === '' || s === 'latest') return { kind: 'latest' };
  if (s.length > 256) throw bad(field, 'selector is longer than 256 characters');
  if (semver.valid(s) === s) return { kind: 'exact', version: s };
  if (aliasNameProblem(s) === undefined) return { kind: 'alias', alias: s };
  if (/^v?[0-9]+\.[0-9]+\.[0-9]+/.test(s) && !/[\s|<>=^~*xX]/.test(s)) {
    throw bad(field, semverProblem(s) ?? `"${s}" is not a valid SemVer 2.0 version`);
  }
  const range = semver.validRange(s);
  if (range !== null) return { kind: 'range', range: s };
  throw bad(field, `"${s}" is neither a SemVer version, a SemVer range (^1.2, ~1.2.3, >=1 <2), an alias name, nor "latest"`);
}

/** Parses `model[@selector]` (pure); errors name the field (`ref`) and say what is wrong. */
export function parseModelRef(ref: string, field = 'ref'): ModelRef {
  if (typeof ref !== 'string' || ref.trim() === '') throw bad(field, 'a model reference such as digits@production is required');
  const at = ref.indexOf('@');
  const model = (at < 0 ? ref : ref.slice(0, at)).trim();
  const raw = at < 0 ? 'latest' : ref.slice(at + 1);
  if (model === '') throw bad(field, `"${ref.slice(0, 80)}" has no model name before "@"`);
  if (model.length > 253 || !DNS1123_SUBDOMAIN.test(model)) throw bad(field, `model name "${model.slice(0, 80)}" is not a lowercase DNS-1123 name`);
  if (raw.includes('@')) throw bad(field, `"${ref.slice(0, 80)}" has more than one "@"`);
  return { model, selector: parseSelector(raw, field), raw: raw.trim() === '' ? 'latest' : raw.trim() };
}

/** The highest version by SemVer precedence, preferring releases over prereleases (pure). */
export function latestOf<T extends VersionLike>(versions: readonly T[]): T | undefined {
  let best: T | undefined;
  let bestRelease: T | undefined;
  for (const v of versions) {
    if (semver.valid(v.spec.version) === null) continue;
    if (!best || semver.gt(v.spec.version, best.spec.version)) best = v;
    if (semver.prerelease(v.spec.version) === null && (!bestRelease || semver.gt(v.spec.version, bestRelease.spec.version))) bestRelease = v;
  }
  return bestRelease ?? best;
}

function notFound(model: string, message: string): ApiError {
  return new ApiError('NotFound', `model ${model}: ${message}`, { name: model, kind: 'ModelVersion' });
}

/**
 * Picks the version a selector means among `versions` (one model's), using `aliases` (alias →
 * version string). `latest` prefers the highest release; a range takes the highest satisfying
 * version (prereleases only when the range names one, as npm does). Throws NotFound naming the
 * model and what was asked when nothing matches (pure).
 */
export function pickVersion<T extends VersionLike>(
  versions: readonly T[],
  aliases: Readonly<Record<string, string>>,
  refSpec: RefSelector | string,
  model = 'model',
): T {
  const sel = typeof refSpec === 'string' ? parseSelector(refSpec) : refSpec;
  switch (sel.kind) {
    case 'latest': {
      const v = latestOf(versions);
      if (!v) throw notFound(model, 'has no versions');
      return v;
    }
    case 'exact': {
      // build metadata is not stored, so compare canonical strings
      const v = versions.find((x) => x.spec.version === sel.version);
      if (!v) throw notFound(model, `version ${sel.version} not found`);
      return v;
    }
    case 'alias': {
      const target = aliases[sel.alias];
      if (target === undefined) {
        const known = Object.keys(aliases).sort();
        throw notFound(model, `no alias "${sel.alias}" (aliases: ${known.length ? known.join(', ') : 'none'})`);
      }
      const v = versions.find((x) => x.spec.version === target);
      if (!v) throw notFound(model, `alias "${sel.alias}" points at version ${target}, which no longer exists`);
      return v;
    }
    case 'range': {
      const range = new semver.Range(sel.range);
      let best: T | undefined;
      for (const x of versions) {
        if (semver.valid(x.spec.version) === null || !range.test(x.spec.version)) continue;
        if (!best || semver.gt(x.spec.version, best.spec.version)) best = x;
      }
      if (!best) throw notFound(model, `no version satisfies ${sel.range}`);
      return best;
    }
  }
}
