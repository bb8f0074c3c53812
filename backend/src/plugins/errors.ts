import {
  type ErrorAnswer,
  ErrorCode,
  NOT_FOUND_BODY,
  renderError,
  SECURITY_HEADERS,
  sendError,
  toPgAppError,
} from '@selfdb/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import FindMyWay from 'find-my-way';
import { toValidationDetails } from './validation.ts';

/** The longest path parameter (a row_id of up to 1,000 characters, as documented); longer → 414 URI_TOO_LONG. */
export const MAX_PARAM_LENGTH = 1000;

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
 * The backend's own known errors: a malformed path parameter (404), a JSON body that does not parse, Fastify's body
 * errors with SelfDB's words, and Postgres errors by SQLSTATE (common/src/pg-errors.ts).
 */
function knownBackendError(error: FastifyError, request: FastifyRequest): ErrorAnswer | null {
  if (error.validation) {
    // Malformed path parameters (a non-UUID id) mean no such resource, as SelfDB 0.0.5's uuid routes answer.
    return error.validationContext === 'params' ? { status: 404, body: NOT_FOUND_BODY } : null;
  }
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return {
      status: 422,
      body: {
        detail: [{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error' }],
        code: ErrorCode.INVALID_JSON,
      },
    };
  }
  const known = FASTIFY_CODES[error.code];
  if (known) return { status: known.status, body: { detail: known.detail, code: known.code } };
  const pgError = toPgAppError(error);
  if (!pgError) return null;
  if (pgError.statusCode >= 500) request.log.error({ err: error }, 'database error');
  return { status: pgError.statusCode, body: { detail: pgError.message, code: pgError.code } };
}

/** FastAPI's 422 detail list. */
function validationDetail(error: FastifyError): unknown {
  return toValidationDetails(error.validation as never, error.validationContext ?? 'body');
}

/**
 * The one error handler: errors rendered as `{detail, code}` by the shared renderer (common/src/error-response.ts)
 * with the backend's known errors and FastAPI's 422 details; anything unexpected logged in full and answered 500
 * with a generic message.
 */
export function installErrorHandler(app: FastifyInstance) {
  app.setErrorHandler(function handleError(error: FastifyError, request, reply) {
    const answer = renderError(error, {
      known: (err) => knownBackendError(err, request),
      validationDetail,
    });
    if (answer) return sendError(reply, answer);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, {
      status: 500,
      body: { detail: 'Internal server error', code: ErrorCode.INTERNAL_ERROR },
    });
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
    return reply.code(404).send(NOT_FOUND_BODY);
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
