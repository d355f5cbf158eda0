/** Model: a named family of versions in a project, with aliases (production, staging…) and their history. */
import { z } from 'zod';
import { condition } from '../meta.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';

/** One recorded alias move; `from`/`to` are SemVer strings, null when the alias did not exist / was removed. */
export const aliasMove = z
  .object({
    alias: z.string().min(1).max(63),
    from: z.string().nullable(),
    to: z.string().nullable(),
    by: z.string().min(1).max(256),
    at: z.string().min(1),
    reason: z.string().max(1024).default(''),
    /** True when the move was a rollback (so repeated rollbacks walk further back). */
    rollback: z.boolean().optional(),
    /** The request's correlation id: the rollouts this move starts and their promotion carry it too. */
    correlationId: z.string().max(64).optional(),
  })
  .strict();
/** One recorded alias move. */
export type AliasMove = z.infer<typeof aliasMove>;

/** Where an alias points now. */
export const aliasTarget = z
  .object({ version: z.string().min(1), since: z.string().min(1), by: z.string().min(1), correlationId: z.string().max(64).optional() })
  .strict();
/** Where an alias points now. */
export type AliasTarget = z.infer<typeof aliasTarget>;

const modelStatus = z
  .object({
    /** Alias name → target; moved only by the registry's alias endpoint, atomically with `aliasHistory`. */
    aliases: z.record(z.string(), aliasTarget).optional(),
    /** Append-only record of every alias move, oldest first. */
    aliasHistory: z.array(aliasMove).max(100_000).optional(),
    latestVersion: z.string().optional(),
    versionCount: z.number().int().nonnegative().optional(),
    observedGeneration: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();
/** Model status as stored. */
export type ModelStatus = z.infer<typeof modelStatus>;

/** The Model kind. */
export const ModelKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Model',
  plural: 'models',
  singular: 'model',
  shortNames: ['mdl'],
  namespaced: true,
  description: 'A model: a named series of versions in a project, with aliases that move atomically and keep their history.',
  body: z.object({
    spec: z
      .object({
        description: z.string().max(4000).optional(),
        /** What the model does (classification, regression, llm…), free text for people and filters. */
        task: z.string().max(128).optional(),
        /** Person or team responsible. */
        owner: z.string().max(256).optional(),
      })
      .strict()
      .default({}),
    status: modelStatus.optional(),
  }),
  status: modelStatus,
  columns: [
    { name: 'LATEST', value: (o) => String((o.status as ModelStatus | undefined)?.latestVersion ?? '') },
    { name: 'VERSIONS', value: (o) => String((o.status as ModelStatus | undefined)?.versionCount ?? '') },
    {
      name: 'ALIASES',
      value: (o) =>
        Object.entries((o.status as ModelStatus | undefined)?.aliases ?? {})
          .map(([a, t]) => `${a}=${t.version}`)
          .join(','),
    },
    { name: 'TASK', value: (o) => String((o.spec as { task?: string } | undefined)?.task ?? ''), wide: true },
  ],
});
