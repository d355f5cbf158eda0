/**
 * Errors at Capstan's boundaries are values with a stable reason and field causes,
 * mapped to a Kubernetes `Status` object (and an HTTP code) in exactly one place: here.
 */

/** Stable reasons, as in Kubernetes' metav1.StatusReason. Every one is listed in docs/errors.md. */
export const STATUS_REASONS = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  RequestTimeout: 408,
  Gone: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  RequestHeaderFieldsTooLarge: 431,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
} as const;

/** One of the stable reasons. */
export type StatusReason = keyof typeof STATUS_REASONS;

/** A field-level cause, as in metav1.StatusCause. */
export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** The Kubernetes `Status` object every API error is rendered as. */
export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** An error value with a stable reason, a message for people and the fields it concerns. */
export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details: StatusObject['details'];

  constructor(reason: StatusReason, message: string, details?: StatusObject['details'], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.reason = reason;
    this.code = STATUS_REASONS[reason];
    this.details = details;
  }

  /** The Status object for this error. */
  toStatus(): StatusObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** 404 for a named object of a kind. */
export function notFound(kind: string, name: string, namespace?: string): ApiError {
  const where = namespace ? ` in project "${namespace}"` : '';
  return new ApiError('NotFound', `${kind} "${name}" not found${where}`, { name, kind });
}

/** 422 with field causes: the shape of every validation failure. */
export function invalid(kind: string, name: string, causes: StatusCause[]): ApiError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join('; ');
  return new ApiError('Invalid', `${kind} "${name}" is invalid: ${summary}`, { name, kind, causes });
}

/** 400 naming the field that could not be read. */
export function badRequest(message: string, field?: string): ApiError {
  return new ApiError('BadRequest', message, field ? { causes: [{ reason: 'FieldValueInvalid', message, field }] } : undefined);
}

/** Turns anything thrown into a Status; unknown errors become InternalError without leaking internals. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('InternalError', 'internal error', undefined, { cause: err });
}
