import { AppError, ErrorCode, jsonDepthExceeds, MAX_JSON_DEPTH } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/**
 * JSON bodies: parsed with prototype-poisoning protection, and an empty body counts as no body (so optional bodies
 * such as logout's work with a bare `Content-Type: application/json`). Every JSON body of every route comes through
 * here, so the nesting limit is checked once, on the text, before anything recursive (validation, JSON.stringify in
 * the pg driver, serialization) sees the value: 400 JSON_TOO_DEEP beyond MAX_JSON_DEPTH levels.
 */
export function installJsonParser(app: FastifyInstance) {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    if (jsonDepthExceeds(text)) {
      return done(
        AppError.badRequest(
          `JSON body nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
          ErrorCode.JSON_TOO_DEEP,
        ),
        undefined,
      );
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
