import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';

/**
 * Routes that declare a querystring schema reject parameters it does not name with 400
 * `Unknown query parameters: a, b`, as SelfDB 0.0.5's list and count routes do. Must be installed before routes.
 */
export function installStrictQuery(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const querystring = route.schema?.querystring as
      { properties?: object; additionalProperties?: unknown } | undefined;
    const properties = querystring?.properties;
    // `additionalProperties: true` marks a route that checks further keys itself (table data filters by column).
    if (!properties || querystring.additionalProperties === true) return;
    const allowed = new Set(Object.keys(properties));
    const check = async (request: { query: unknown }) => {
      const unknown = Object.keys(request.query as object).filter((key) => !allowed.has(key));
      if (unknown.length > 0) {
        throw AppError.badRequest(
          `Unknown query parameters: ${unknown.join(', ')}`,
          ErrorCode.UNKNOWN_QUERY_PARAMETER,
        );
      }
    };
    route.preValidation = [check, ...(route.preValidation ? [route.preValidation].flat() : [])];
  });
}
