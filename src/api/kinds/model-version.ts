/** ModelVersion: one immutable, content-addressed artifact of a Model, with its signature, metrics and lineage. */
import semver from 'semver';
import { z } from 'zod';
import { condition, objectName } from '../meta.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';

/** Label every ModelVersion carries with its model's name (for selectors). */
export const MODEL_LABEL = 'capstan.dev/model';
/**
 * Label that makes an object a holder of a ModelVersion: while any object in the project carries
 * `capstan.dev/model-version=<ModelVersion name>`, that version cannot be deleted.
 */
export const MODEL_VERSION_LABEL = 'capstan.dev/model-version';
/** Finalizer the registry controller keeps on a ModelVersion while something holds it. */
export const MODEL_IN_USE_FINALIZER = 'capstan.dev/model-in-use';

/** Why a version string is refused, or undefined when it is a canonical SemVer 2.0 version we accept (pure). */
export function semverProblem(v: string): string | undefined {
  if (v.includes('+') && semver.valid(v) !== null) return `"${v}" has build metadata (+…), which SemVer ignores when ordering: put it in tags instead`;
  if (semver.valid(v) !== v) return `"${v.slice(0, 80)}" is not a SemVer 2.0 version (MAJOR.MINOR.PATCH[-prerelease], e.g. 1.2.0 or 1.2.0-rc.1)`;
  if (v !== v.toLowerCase()) return `"${v}" has uppercase letters; versions are part of object names, which are lowercase`;
  return undefined;
}

/** The object name of a model's version: `<model>-v<version>` (e.g. `digits-v1.2.0`), a DNS-1123 subdomain (pure). */
export function modelVersionName(model: string, version: string): string {
  return `${model}-v${version}`;
}

/**
 * Why a new version is refused because its object name could be read as another model's version,
 * or undefined (pure). `<model>-v<version>` is unambiguous when versions never contain "-v" and a
 * digit: the name then splits at its last "-v<digit>" (`a`@`1.0.0-rc-v1.0.0` and `a-v1.0.0-rc`@`1.0.0`
 * would both be `a-v1.0.0-rc-v1.0.0`). Checked when a version is registered, not in the schema, so
 * versions stored before the rule stay valid.
 */
export function versionNameProblem(version: string): string | undefined {
  if (!/-v[0-9]/.test(version)) return undefined;
  return `"${version.slice(0, 80)}" contains "-v" followed by a digit, so its object name <model>-v<version> could also be read as a version of another model; use another prerelease (e.g. 1.0.0-rc.1)`;
}

/** Longest ModelVersion name: it must fit in a label value so holders can point at it. */
export const MAX_MODEL_VERSION_NAME = 63;

const semverString = z.string().refine((v) => semverProblem(v) === undefined, { message: 'must be a SemVer 2.0 version like 1.2.0 (lowercase, no +build)' });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

const artifactFile = z
  .object({
    path: z.string().min(1).max(4096),
    sha256,
    size: z.number().int().nonnegative(),
    mode: z.union([z.literal(0o644), z.literal(0o755)]).optional(),
  })
  .strict();

const tensorSignature = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) }).strict();

/** The artifact of a version: immutable once registered. */
export const modelArtifact = z
  .object({
    /** Where to download it: the version's `/artifact` URL path on the API server. */
    uri: z.string().min(1).max(2048),
    /** Digest of the file, or of the directory's manifest (layout=directory). */
    sha256,
    /** Bytes of the file, or the sum of the directory's files. */
    size: z.number().int().nonnegative(),
    layout: z.enum(['file', 'directory']).default('file'),
    files: z.array(artifactFile).max(1000).default([]),
  })
  .strict();
/** The artifact of a version. */
export type ModelArtifact = z.infer<typeof modelArtifact>;

/** Inputs and outputs as read from the model file itself. */
export const modelSignature = z
  .object({
    opset: z.number().int().optional(),
    irVersion: z.number().int().optional(),
    producer: z.string().max(256).optional(),
    inputs: z.array(tensorSignature).max(1000),
    outputs: z.array(tensorSignature).max(1000),
  })
  .strict();
/** Inputs and outputs as read from the model file itself. */
export type ModelSignature = z.infer<typeof modelSignature>;

const modelVersionSpec = z
  .object({
    model: objectName,
    version: semverString,
    /** onnx is inspected and served by the built-in runtime; other formats are stored for custom runtimes. */
    format: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase format name such as onnx').default('onnx'),
    description: z.string().max(4000).optional(),
    artifact: modelArtifact,
    signature: modelSignature.optional(),
    metrics: z.record(z.string().min(1).max(128), z.number()).default({}),
    params: z.record(z.string().min(1).max(128), z.string().max(4096)).default({}),
    tags: z.record(z.string().min(1).max(128), z.string().max(1024)).default({}),
    lineage: z
      .object({
        trainingJob: z.string().max(253).optional(),
        pipelineRun: z.string().max(253).optional(),
        experiment: z.string().max(253).optional(),
        trial: z.string().max(253).optional(),
        dataset: z.string().max(2048).optional(),
        parentVersion: z.string().max(253).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();
/** ModelVersion spec as stored. */
export type ModelVersionSpec = z.infer<typeof modelVersionSpec>;

const modelVersionStatus = z
  .object({
    /** Objects holding this version (label capstan.dev/model-version), as `Kind/name`. */
    usedBy: z.array(z.string()).optional(),
    observedGeneration: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();
/** ModelVersion status as stored. */
export type ModelVersionStatus = z.infer<typeof modelVersionStatus>;

/** The ModelVersion kind. */
export const ModelVersionKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'ModelVersion',
  plural: 'modelversions',
  singular: 'modelversion',
  shortNames: ['mv'],
  namespaced: true,
  description: 'One registered version of a model: an immutable content-addressed artifact, its signature, metrics, params and lineage.',
  body: z.object({ spec: modelVersionSpec, status: modelVersionStatus.optional() }),
  status: modelVersionStatus,
  columns: [
    { name: 'MODEL', value: (o) => String((o.spec as ModelVersionSpec).model) },
    { name: 'VERSION', value: (o) => String((o.spec as ModelVersionSpec).version) },
    { name: 'FORMAT', value: (o) => String((o.spec as ModelVersionSpec).format) },
    { name: 'SIZE', value: (o) => String((o.spec as ModelVersionSpec).artifact.size) },
    { name: 'SHA256', value: (o) => (o.spec as ModelVersionSpec).artifact.sha256.slice(0, 12), wide: true },
    { name: 'USED BY', value: (o) => ((o.status as ModelVersionStatus | undefined)?.usedBy ?? []).join(','), wide: true },
  ],
});
