/** Maps whatever a request handler throws, including fastify's own errors, to a Status reply. */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError, type StatusReason } from '../api/errors.js';
import { describeFramingError } from '../api/http-framing-errors.js';

/** Fastify's error codes that are the client's fault, and the Status reason for each. */
const FASTIFY_CODES: Record<string, ApiError['reason']> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'RequestEntityTooLarge',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UnsupportedMediaType',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BadRequest',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BadRequest',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BadRequest',
  FST_ERR_CTP_EMPTY_TYPE: 'UnsupportedMediaType',
  FST_ERR_CTP_INVALID_TYPE: 'UnsupportedMediaType',
  FST_ERR_BAD_URL: 'BadRequest',
  FST_ERR_ASYNC_CONSTRAINT: 'BadRequest',
  FST_ERR_VALIDATION: 'BadRequest',
};

/** Converts any error into an ApiError, logging the ones that are the server's fault. */
export function errorToApiError(err: unknown, log: Logger): ApiError {
  if (err instanceof ApiError) {
    if (err.code >= 500) log.error({ err: err.cause ?? err }, err.message);
    return err;
  }
  const fe = err as FastifyError;
  const reason = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (reason) {
    const msg = reason === 'RequestEntityTooLarge' ? 'request body is larger than the server accepts' : `body: ${fe.message}`;
    return new ApiError(reason, msg, { causes: [{ field: 'body', message: fe.message }] });
  }
  if (fe instanceof SyntaxError || (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)) {
    return new ApiError('BadRequest', `body: ${fe.message}`, { causes: [{ field: 'body', message: fe.message }] });
  }
  log.error({ err }, 'unhandled error');
  return new ApiError('InternalError', 'internal error', undefined, { cause: err });
}

/** Sends an error as a Status object. */
export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply, log: Logger): void {
  const apiErr = errorToApiError(err, log);
  const headers: Record<string, string> = {};
  if (apiErr.reason === 'Unauthorized') headers['www-authenticate'] = 'Bearer realm="capstan"';
  if (apiErr.details?.retryAfterSeconds) headers['retry-after'] = String(apiErr.details.retryAfterSeconds);
  if (apiErr.code >= 500) req.log?.error?.({ reason: apiErr.reason }, apiErr.message);
  reply.code(apiErr.code).headers(headers).send(apiErr.toStatus());
}

const FRAMING_REASONS: Record<number, StatusReason> = { 400: 'BadRequest', 408: 'RequestTimeout', 431: 'RequestHeaderFieldsTooLarge' };

/**
 * node:http's `clientError` (a request its parser refused: a negative or repeated Content-Length,
 * bad chunking, a body cut short, a head too large or too slow) answered as a Status, like every
 * other error, on a connection that is then closed. Fastify's `clientErrorHandler` option.
 */
export function clientErrorHandler(log: Logger): (err: Error & { code?: string; reason?: string }, socket: Socket) => void {
  return (err, socket) => {
    const problem = describeFramingError(err);
    if (socket.destroyed) return;
    if (!problem) return void socket.destroy();
    log.debug({ code: err.code, reason: err.reason }, problem.message);
    if (!socket.writable) return void socket.destroy();
    const body = JSON.stringify(new ApiError(FRAMING_REASONS[problem.status], problem.message).toStatus());
    socket.write(`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    // After the answer is flushed: the rest of what the client sends cannot be framed.
    socket.destroySoon();
  };
}
