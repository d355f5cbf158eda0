/**
 * The set of kinds the server knows, looked up by plural, singular, short name, kind name,
 * or a foreign manifest's apiVersion/kind. Validation of whole objects happens here.
 */
import { z } from 'zod';
import { ApiError, badRequest, invalid } from './errors.js';
import type { Kind, KindConversion } from './kind.js';
import { objectMeta, type KubeObject } from './meta.js';
import { issuesToCauses } from './validation.js';

interface Compiled {
  kind: Kind;
  full: z.ZodType;
}

/** Kinds by every name users may type. */
export class KindRegistry {
  private readonly byResource = new Map<string, Compiled>();
  private readonly byName = new Map<string, Compiled>();
  private readonly conversions = new Map<string, { target: Compiled; conversion: KindConversion }>();

  constructor(kinds: Kind[] = []) {
    for (const k of kinds) this.register(k);
  }

  /** Adds a kind; names must not clash with one already registered. */
  register(kind: Kind): void {
    const full = z
      .object({
        apiVersion: z.literal(kind.apiVersion),
        kind: z.literal(kind.kind),
        metadata: objectMeta,
        ...kind.body.shape,
      })
      .strict();
    const compiled: Compiled = { kind, full };
    this.byResource.set(kind.resource, compiled);
    for (const n of new Set([kind.kind.toLowerCase(), kind.plural, kind.singular, ...(kind.shortNames ?? [])])) {
      if (this.byName.has(n)) throw new Error(`kind name "${n}" registered twice`);
      this.byName.set(n, compiled);
    }
    for (const c of kind.conversions ?? []) this.conversions.set(`${c.apiVersion}|${c.kind}`, { target: compiled, conversion: c });
  }

  /** Every registered kind. */
  all(): Kind[] {
    return [...this.byResource.values()].map((c) => c.kind);
  }

  /** A kind by any of its names (`inferenceservices`, `isvc`, `InferenceService`), or undefined. */
  find(name: string): Kind | undefined {
    return this.byName.get(name.toLowerCase())?.kind;
  }

  /** A kind by group and plural, as in an API path. */
  byPath(group: string, plural: string): Kind | undefined {
    return this.byResource.get(`${group}/${plural}`)?.kind;
  }

  /** The kind of a manifest (Capstan's own or a foreign dialect), with its converter if foreign. */
  forManifest(apiVersion: unknown, kindName: unknown): { kind: Kind; conversion?: KindConversion } {
    if (typeof apiVersion !== 'string' || apiVersion === '') throw badRequest('apiVersion is required', 'apiVersion');
    if (typeof kindName !== 'string' || kindName === '') throw badRequest('kind is required', 'kind');
    const foreign = this.conversions.get(`${apiVersion}|${kindName}`);
    if (foreign) return { kind: foreign.target.kind, conversion: foreign.conversion };
    const own = this.byName.get(kindName.toLowerCase());
    if (own && own.kind.kind === kindName && own.kind.apiVersion === apiVersion) return { kind: own.kind };
    if (own && own.kind.kind === kindName) {
      throw new ApiError('BadRequest', `apiVersion "${apiVersion}" is not served for kind ${kindName}; use ${own.kind.apiVersion}`, {
        causes: [{ reason: 'FieldValueNotSupported', field: 'apiVersion', message: `unsupported apiVersion ${apiVersion}` }],
      });
    }
    throw new ApiError('BadRequest', `no kind "${kindName}" is registered for apiVersion "${apiVersion}"`, {
      causes: [{ reason: 'FieldValueNotSupported', field: 'kind', message: `unknown kind ${kindName}` }],
    });
  }

  /** Converts a foreign manifest if needed, then validates and defaults it as the kind's object. */
  decode(raw: unknown): { kind: Kind; object: KubeObject } {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('the object must be a JSON/YAML mapping');
    const rec = raw as Record<string, unknown>;
    const { kind, conversion } = this.forManifest(rec.apiVersion, rec.kind);
    const converted = conversion ? conversion.convert(rec) : rec;
    return { kind, object: this.validate(kind, converted) };
  }

  /** Validates (strictly: unknown fields are errors) and applies defaults. */
  validate(kind: Kind, raw: unknown): KubeObject {
    const compiled = this.byResource.get(kind.resource);
    if (!compiled) throw new Error(`kind ${kind.kind} is not registered`);
    const res = compiled.full.safeParse(raw);
    if (!res.success) {
      const name = (raw as { metadata?: { name?: unknown } })?.metadata?.name;
      throw invalid(kind.kind, typeof name === 'string' ? name : '', issuesToCauses(res.error.issues));
    }
    return res.data as KubeObject;
  }

  /** Validates a status written through the /status subresource. */
  validateStatus(kind: Kind, name: string, status: unknown): unknown {
    if (!kind.status) throw new ApiError('NotFound', `${kind.kind} has no status subresource`);
    const res = kind.status.safeParse(status);
    if (!res.success) throw invalid(kind.kind, name, issuesToCauses(res.error.issues, 'status'));
    return res.data;
  }
}
