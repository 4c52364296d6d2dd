/**
 * Every failure the admin port answers is `{"error": {"code", "message"}}` with a code from the
 * catalogue (src/errors.ts) and that code's status. Fastify's own errors (body parsing, schema
 * validation, limits) are translated here, so no framework wording or code leaks out.
 */
import { ERRORS, isRelayError, RelayError, type ErrorCode } from '../errors.js';

/** The 404 of a route under /api/v1/vims/{vimId}/ whose VIM the store does not hold. */
export function unknownVim(vimId: string): RelayError {
  return new RelayError('NOT_FOUND', `VIM "${vimId}" is not registered; GET /api/v1/vims lists those that are`);
}

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export interface ApiFailure {
  readonly status: number;
  readonly body: ErrorBody;
  /** Not a client's fault: log it with its stack. */
  readonly unexpected: boolean;
}

export function failure(code: ErrorCode, message: string): ApiFailure {
  return { status: ERRORS[code].status, body: { error: { code, message } }, unexpected: code === 'INTERNAL' };
}

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: unknown;
}

/** Fastify's framework errors by code: what the client did and how to fix it. */
function fromFastify(e: FastifyLikeError, bodyLimitBytes: number): ApiFailure | undefined {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return failure(
        'PAYLOAD_TOO_LARGE',
        `the request body is larger than ${bodyLimitBytes} bytes (admin.bodyLimitBytes)`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return failure(
        'UNSUPPORTED_MEDIA_TYPE',
        'the request body must be JSON; send it with Content-Type: application/json',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return failure('VALIDATION_FAILED', 'body is empty but Content-Type is application/json; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // The parser's own message may quote a cut-off piece of the body; it is not repeated.
      return failure('VALIDATION_FAILED', 'body is not valid JSON; check quoting and commas');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return failure('VALIDATION_FAILED', 'the body is not as long as its Content-Length says');
    case 'FST_ERR_BAD_URL':
      return failure('VALIDATION_FAILED', 'the URL is not valid (bad percent-encoding?)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return failure('VALIDATION_FAILED', 'a path parameter is too long');
    default:
      return undefined;
  }
}

/** Any thrown value as the answer to send. */
export function toFailure(e: unknown, bodyLimitBytes: number): ApiFailure {
  if (isRelayError(e)) return failure(e.code, e.message);
  const fe = (e ?? {}) as FastifyLikeError;
  // The message was written by the server's schemaErrorFormatter and names the field.
  if (fe.validation) return failure('VALIDATION_FAILED', fe.message ?? 'the request is not valid');
  const known = fromFastify(fe, bodyLimitBytes);
  if (known) return known;
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return failure('VALIDATION_FAILED', fe.message ?? 'the request is not valid');
  }
  return { ...failure('INTERNAL', 'an unexpected error; the relay log has the details'), unexpected: true };
}
