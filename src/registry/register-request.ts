/** The body of a version registration (`POST …/models/{model}/versions`), validated with field paths. */
import { z } from 'zod';
import { invalid } from '../api/errors.js';
import { semverProblem, versionNameProblem } from '../api/kinds/model-version.js';
import { issuesToCauses } from '../api/validation.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

/** Schema of a registration request: the artifact's blobs were uploaded before, by digest. */
export const registerRequestSchema = z
  .object({
    /** Omitted: the next patch after the model's highest version. */
    version: z.string().max(128).optional(),
    format: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'must be a lowercase format name such as onnx').default('onnx'),
    description: z.string().max(4000).optional(),
    /** A single-file artifact: its file name and digest. */
    file: z.object({ path: z.string().min(1).max(255), sha256 }).strict().optional(),
    /** A directory artifact: every file with its relative path. */
    files: z
      .array(z.object({ path: z.string().min(1).max(4096), sha256, mode: z.union([z.literal(0o644), z.literal(0o755)]).optional() }).strict())
      .min(1)
      .max(1000)
      .optional(),
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
    /** Aliases to move to the new version once it is registered. */
    aliases: z.array(z.string()).max(16).default([]),
    reason: z.string().max(1024).default(''),
  })
  .strict()
  .refine((r) => (r.file === undefined) !== (r.files === undefined), { message: 'exactly one of file or files is required', path: ['file'] });

/** A validated registration request. */
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

/** Validates a registration body; 422 naming each bad field. */
export function parseRegisterRequest(model: string, body: unknown): RegisterRequest {
  const r = registerRequestSchema.safeParse(body ?? {});
  if (!r.success) throw invalid('ModelVersion', model, issuesToCauses(r.error.issues));
  // before any upload: a version that cannot be registered costs no bytes
  const p = r.data.version === undefined ? undefined : semverProblem(r.data.version) ?? versionNameProblem(r.data.version);
  if (p) throw invalid('ModelVersion', model, [{ field: 'version', message: p }]);
  return r.data;
}
