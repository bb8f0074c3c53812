import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { ERROR_RESPONSES, SHARED_SCHEMAS } from '../schemas/common.ts';
import { isKeyExempt } from './api-key.ts';

const API_KEY_PARAMETER = {
  type: 'object',
  properties: {
    'X-API-Key': {
      type: 'string',
      description: 'API key required for all endpoints (validated by middleware)',
    },
  },
  required: ['X-API-Key'],
};

/** Marks a route schema whose JSON body may be absent (the OpenAPI `requestBody.required` becomes false). */
const OPTIONAL_BODY = 'x-optional-body';
/** Spread into a route schema whose body is optional. */
export const optionalBody = { [OPTIONAL_BODY]: true };

type OpenApiOperation = { responses?: object; requestBody?: { required?: boolean }; [key: string]: unknown };
type OpenApiDocument = { paths?: Record<string, Record<string, OpenApiOperation>> };

/**
 * OpenAPI 3.1 generated from the route schemas: served at /openapi.json, with Swagger UI at /docs. Every operation
 * gets the shared error responses and, as in SelfDB 0.0.5's document, the X-API-Key header parameter.
 */
export async function installOpenApi(
  app: FastifyInstance,
  config: Pick<Config, 'appName' | 'appDescription' | 'version'>,
) {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: config.appName, description: config.appDescription, version: config.version },
      components: {
        securitySchemes: {
          HTTPBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          APIKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (documentObject) => {
      const document = (documentObject as { openapiObject: OpenApiDocument }).openapiObject;
      for (const operation of Object.values(document.paths ?? {}).flatMap((item) => Object.values(item))) {
        operation.responses = { ...ERROR_RESPONSES, ...operation.responses };
        // Fastify validates an absent body as `{}` only where a route says so; document that body as optional.
        if (operation[OPTIONAL_BODY] && operation.requestBody) operation.requestBody.required = false;
        delete operation[OPTIONAL_BODY];
      }
      return document;
    },
    transform: ({ schema, url }) => {
      if (!schema || isKeyExempt(url)) return { schema, url };
      // A route's own documented headers (X-Restore-Token) are kept next to the API key.
      const own = (schema.headers as { properties?: object } | undefined)?.properties;
      const headers = own
        ? { ...API_KEY_PARAMETER, properties: { ...API_KEY_PARAMETER.properties, ...own } }
        : API_KEY_PARAMETER;
      return { schema: { ...schema, headers }, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
