import { AppError, ErrorCode } from './errors.ts';

/** What every error answer of every SelfDB service carries: `{detail, code}` (detail is a list for 422s). */
export interface ErrorBody {
  detail: unknown;
  code: ErrorCode;
}

/** An error answer: status, extra headers, `{detail, code}` body. */
export interface ErrorAnswer {
  status: number;
  headers?: Record<string, string>;
  body: ErrorBody;
}

/** Codes of the 4xx errors Fastify and its plugins raise themselves, by status (any other 4xx: BAD_REQUEST). */
export const STATUS_ERROR_CODES: Readonly<Record<number, ErrorCode>> = {
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  408: ErrorCode.REQUEST_TIMEOUT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  414: ErrorCode.URI_TOO_LONG,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  431: ErrorCode.HEADERS_TOO_LARGE,
};

/** The answer of an unknown path. */
export const NOT_FOUND_BODY: ErrorBody = Object.freeze({ detail: 'Not Found', code: ErrorCode.NOT_FOUND });

interface FrameworkError {
  message: string;
  statusCode?: number;
  validation?: unknown;
}

export interface RenderErrorOptions<E extends FrameworkError> {
  /** The service's own errors (after AppErrors, before validation and status errors); null: not one of them. */
  known?(error: E): ErrorAnswer | null;
  /** The `detail` of a 422 validation error (default: the error's message). */
  validationDetail?(error: E): unknown;
}

/**
 * The one rendering of errors as `{detail, code}`, used by the error handler of every service: an AppError as it is,
 * then the service's own known errors, a validation error as 422 VALIDATION_FAILED, a framework 4xx by its status.
 * Null for anything else: the caller logs it in full and answers 500 with a generic message.
 */
export function renderError<E extends FrameworkError>(
  error: E,
  options: RenderErrorOptions<E> = {},
): ErrorAnswer | null {
  if (error instanceof AppError) {
    return {
      status: error.statusCode,
      headers: error.headers,
      body: { detail: error.message, code: error.code },
    };
  }
  const known = options.known?.(error);
  if (known) return known;
  if (error.validation) {
    const detail = options.validationDetail ? options.validationDetail(error) : error.message;
    return { status: 422, body: { detail, code: ErrorCode.VALIDATION_FAILED } };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    const code = STATUS_ERROR_CODES[error.statusCode] ?? ErrorCode.BAD_REQUEST;
    return { status: error.statusCode, body: { detail: error.message, code } };
  }
  return null;
}

/** The part of a Fastify reply an error answer needs. */
export interface ErrorReply {
  code(status: number): ErrorReply;
  headers(values: Record<string, string>): ErrorReply;
  send(payload: unknown): unknown;
}

/** Sends an error answer. */
export function sendError(reply: ErrorReply, answer: ErrorAnswer): unknown {
  return reply
    .code(answer.status)
    .headers(answer.headers ?? {})
    .send(answer.body);
}
