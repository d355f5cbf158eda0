/**
 * What a request that node's HTTP parser refused (node:http's `clientError`) did wrong, in words a
 * client can act on, with the HTTP status to answer. Shared by the API server (which renders it as
 * a Status) and the model server (OIP's `{"error": ...}`), so both name the same problem the same way.
 */

/** The answer to a malformed request: the status and a sentence naming the problem. */
export interface FramingProblem {
  status: 400 | 408 | 431;
  message: string;
}

/** Parser error codes (llhttp's `HPE_*`, node's `ERR_*`) and what they mean for the client. */
const PROBLEMS: Record<string, FramingProblem> = {
  HPE_INVALID_CONTENT_LENGTH: { status: 400, message: 'the Content-Length header is not a non-negative decimal integer' },
  HPE_UNEXPECTED_CONTENT_LENGTH: { status: 400, message: 'the Content-Length header is repeated, or conflicts with Transfer-Encoding' },
  HPE_INVALID_TRANSFER_ENCODING: { status: 400, message: 'the Transfer-Encoding header is invalid, or sent together with Content-Length' },
  HPE_INVALID_CHUNK_SIZE: { status: 400, message: 'the chunked body has a chunk size that is not hexadecimal' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 400, message: 'the chunked body has chunk extensions that are too long' },
  HPE_INVALID_EOF_STATE: { status: 400, message: 'the connection ended before the request was complete (its head or body was cut short)' },
  HPE_HEADER_OVERFLOW: { status: 431, message: 'the request head is larger than the server accepts' },
  HPE_INVALID_HEADER_TOKEN: { status: 400, message: 'a header line is not "Name: value"' },
  HPE_INVALID_METHOD: { status: 400, message: 'the request method is not valid' },
  HPE_INVALID_URL: { status: 400, message: 'the request target is not a valid URL' },
  HPE_INVALID_VERSION: { status: 400, message: 'the HTTP version is not HTTP/1.0 or HTTP/1.1' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'the request was not received completely in time' },
  ERR_HTTP_HEADERS_TIMEOUT: { status: 408, message: 'the request head was not received completely in time' },
};

/**
 * The problem behind a `clientError`, or undefined when there is no one to answer (the peer reset
 * the connection). Unlisted parser errors keep the parser's own reason (pure).
 */
export function describeFramingError(err: { code?: string; reason?: string; message?: string }): FramingProblem | undefined {
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return undefined;
  const known = err.code ? PROBLEMS[err.code] : undefined;
  if (known) return { status: known.status, message: `malformed HTTP request: ${known.message}` };
  const reason = (err.reason ?? err.message ?? 'unreadable request').replace(/^Parse Error:\s*/, '');
  return { status: 400, message: `malformed HTTP request: ${reason.slice(0, 200)}` };
}
