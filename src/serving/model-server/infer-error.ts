/** Errors of the inference data plane as values with a stable code, mapped to HTTP and gRPC in one place. */

/** Stable reason codes of the model server. */
export type InferErrorCode =
  | 'BadRequest' | 'NotFound' | 'MethodNotAllowed' | 'PayloadTooLarge' | 'QueueFull' | 'Timeout' | 'NotReady' | 'ShuttingDown' | 'Internal';

const HTTP_STATUS: Record<InferErrorCode, number> = {
  BadRequest: 400, NotFound: 404, MethodNotAllowed: 405, PayloadTooLarge: 413, QueueFull: 503, Timeout: 503, NotReady: 503, ShuttingDown: 503, Internal: 500,
};

/** gRPC status codes (numeric, as @grpc/grpc-js `status`). */
const GRPC_STATUS: Record<InferErrorCode, number> = {
  BadRequest: 3, NotFound: 5, MethodNotAllowed: 12, PayloadTooLarge: 8, QueueFull: 14, Timeout: 4, NotReady: 14, ShuttingDown: 14, Internal: 13,
};

/** An error the server answers with; the message names the tensor/field and the problem. */
export class InferError extends Error {
  constructor(readonly code: InferErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InferError';
  }
  /** HTTP status for this error. */
  get httpStatus(): number { return HTTP_STATUS[this.code]; }
  /** gRPC status code for this error. */
  get grpcStatus(): number { return GRPC_STATUS[this.code]; }
  /** Whether the client should retry later (503 with Retry-After). */
  get retryable(): boolean { return this.httpStatus === 503; }
}

/** Shorthand for a 400 naming the problem. */
export function badRequest(message: string): InferError {
  return new InferError('BadRequest', message);
}

/** Wraps anything thrown into an InferError (unknown errors become Internal). */
export function toInferError(err: unknown): InferError {
  if (err instanceof InferError) return err;
  return new InferError('Internal', err instanceof Error ? err.message : String(err), { cause: err });
}
