import type { FastifySchema } from 'fastify';

const API_KEY_HEADER = {
  type: 'object',
  properties: { 'X-API-Key': { type: 'string', description: 'API key required for all endpoints' } },
  required: ['X-API-Key'],
};

/**
 * OpenAPI for routes whose last parameter spans several segments: Fastify calls it `*`, SelfDB 0.0.5's document
 * calls it `{path}`. Set as the route's `config.swaggerTransform`, which replaces the global transform, so it also
 * adds the X-API-Key header parameter the global one would have added (unless the route needs no key).
 */
export function documentObjectPath(options: { apiKey: boolean }) {
  return ({ schema, url }: { schema: FastifySchema; url: string }) => {
    const params = schema.params as { properties: Record<string, unknown>; required?: string[] };
    const { '*': wildcard, ...named } = params.properties;
    return {
      url: url.replace(/\*$/, ':path'),
      schema: {
        ...schema,
        params: {
          type: 'object',
          properties: { ...named, path: { ...(wildcard as object), title: 'Path' } },
          required: [...Object.keys(named), 'path'],
        },
        ...(options.apiKey ? { headers: API_KEY_HEADER } : {}),
      },
    };
  };
}
