import { AppError, ErrorCode, SECURITY_HEADERS, toPgAppError } from '@selfdb/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import FindMyWay from 'find-my-way';
import { toValidationDetails } from './validation.ts';

/** The longest path parameter (a row_id of up to 1,000 characters, as documented); longer → 414 URI_TOO_LONG. */
export const MAX_PARAM_LENGTH = 1000;

/** Codes of the 4xx errors Fastify and its plugins raise themselves, by status. */
const STATUS_ERRORS: Record<number, ErrorCode> = {
  404: ErrorCode.NOT_FOUND,
  405: ErrorCode.METHOD_NOT_ALLOWED,
  408: ErrorCode.REQUEST_TIMEOUT,
  413: ErrorCode.PAYLOAD_TOO_LARGE,
  414: ErrorCode.URI_TOO_LONG,
  415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  431: ErrorCode.HEADERS_TOO_LARGE,
};

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
      const code = STATUS_ERRORS[error.statusCode] ?? ErrorCode.BAD_REQUEST;
      return reply.code(error.statusCode).send({ detail: error.message, code });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ detail: 'Internal server error', code: ErrorCode.INTERNAL_ERROR });
  });

  // Every route's path and methods, to tell "no such path" (404) from "not with this method" (405 with `Allow`).
  const routes = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH });
  const methodsOf = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    // A catch-all (CORS preflights on `*`) is no route of its own.
    if (route.url === '*' || route.url === '/*') return;
    const methods = ([] as string[]).concat(route.method as HTTPMethods | HTTPMethods[]);
    // Routes of one shape share an entry whatever their parameters are called.
    const shape = route.url.replace(/:[^/]+/g, ':param');
    let known = methodsOf.get(shape);
    if (!known) {
      known = new Set();
      methodsOf.set(shape, known);
      const set = known;
      routes.on('GET', shape, () => set);
    }
    for (const method of methods) known.add(method);
  });
  app.setNotFoundHandler(function answerNotFound(request, reply) {
    const path = request.url.split('?', 1)[0] ?? '/';
    let found: ReturnType<typeof routes.find> = null;
    try {
      found = routes.find('GET', path);
    } catch {
      // A path the router cannot decode is no route at all.
    }
    const allowed = found ? (found.handler as unknown as () => Set<string>)() : null;
    if (allowed && allowed.size > 0) {
      return reply
        .code(405)
        .header('allow', [...allowed].sort().join(', '))
        .send({ detail: 'Method Not Allowed', code: ErrorCode.METHOD_NOT_ALLOWED });
    }
    return reply.code(404).send({ detail: 'Not Found', code: ErrorCode.NOT_FOUND });
  });
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
    return reply.code(414).send({ detail: 'URL too long', code: ErrorCode.URI_TOO_LONG });
  }
  reply.log.error({ err: error }, 'framework error');
  return reply.code(500).send({ detail: 'Internal server error', code: ErrorCode.INTERNAL_ERROR });
}

/** Requests Node's HTTP parser refuses: the usual body on the socket (common/src/upgrade.ts). */
export { answerClientError } from '@selfdb/common';
