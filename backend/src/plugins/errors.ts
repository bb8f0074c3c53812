import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, ErrorCode, refuseUpgrade, SECURITY_HEADERS } from '@selfdb/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toPgAppError } from '../db/pg-errors.ts';
import { toValidationDetails } from './validation.ts';

const FASTIFY_CODES: Record<string, { status: number; code: ErrorCode; detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    detail: 'Unsupported Content-Type: send application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: ErrorCode.PAYLOAD_TOO_LARGE,
    detail: 'Request body too large',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: ErrorCode.BAD_REQUEST,
    detail: 'Content-Length does not match the body',
  },
};

/**
 * The one error handler: AppErrors as `{detail, code}`, validation errors as FastAPI's 422, Postgres errors by
 * SQLSTATE, and anything unexpected logged in full and answered 500 with a generic message.
 */
export function installErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      return reply
        .code(error.statusCode)
        .headers(error.headers)
        .send({ detail: error.message, code: error.code });
    }
    if (error.validation) {
      // Malformed path parameters (a non-UUID id) mean no such resource, as SelfDB 0.0.5's uuid routes answer.
      if (error.validationContext === 'params') {
        return reply.code(404).send({ detail: 'Not Found', code: ErrorCode.NOT_FOUND });
      }
      const detail = toValidationDetails(error.validation as never, error.validationContext ?? 'body');
      return reply.code(422).send({ detail, code: ErrorCode.VALIDATION_FAILED });
    }
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      return reply.code(422).send({
        detail: [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error' }],
        code: ErrorCode.INVALID_JSON,
      });
    }
    const known = FASTIFY_CODES[error.code];
    if (known) return reply.code(known.status).send({ detail: known.detail, code: known.code });
    const pgError = toPgAppError(error);
    if (pgError) {
      if (pgError.statusCode >= 500) request.log.error({ err: error }, 'database error');
      return reply.code(pgError.statusCode).send({ detail: pgError.message, code: pgError.code });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ detail: error.message, code: ErrorCode.BAD_REQUEST });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: 'Internal server error', code: ErrorCode.INTERNAL_ERROR });
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ detail: 'Not Found', code: ErrorCode.NOT_FOUND }),
  );
}

/**
 * Errors Fastify answers before routing, past every hook (Fastify's `frameworkErrors` option): a URL whose
 * percent-encoding is broken, a path parameter over the length limit. Same body and security headers as any error.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  reply.headers(SECURITY_HEADERS);
  if (error.code === 'FST_ERR_BAD_URL') {
    return reply.code(400).send({ detail: 'Malformed URL', code: ErrorCode.BAD_REQUEST });
  }
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return reply.code(414).send({ detail: 'URL too long', code: ErrorCode.BAD_REQUEST });
  }
  reply.log.error({ err: error }, 'framework error');
  return reply.code(500).send({ detail: 'Internal server error', code: ErrorCode.INTERNAL_ERROR });
}

/**
 * Requests Node's HTTP parser refuses (malformed request line or headers, headers too large, too slow): answered
 * on the socket with the usual body and security headers instead of Fastify's default body (its `clientErrorHandler`
 * option), then the connection is closed. A reset connection gets nothing.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  if (!socket.writable) return void socket.destroy();
  // Ends the socket once the answer is flushed.
  refuseUpgrade(socket, status, {
    detail: STATUS_CODES[status] ?? 'Bad Request',
    code: ErrorCode.BAD_REQUEST,
  });
}
