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

/** Marks a route that takes any column of its table as a query parameter (the data API's filters). */
const COLUMN_FILTERS = 'x-column-filters';
/** Spread into a route schema that reads column filters from its query string. */
export const columnFilters = { [COLUMN_FILTERS]: true };

/**
 * The column filters as one OpenAPI parameter: a free-form object exploded into the query string (`?price=gte.10`),
 * so generated clients type them as a record of strings.
 */
const COLUMN_FILTERS_PARAMETER = {
  name: 'filters',
  in: 'query',
  required: false,
  style: 'form',
  explode: true,
  description:
    'Column filters, PostgREST style: each key is a column name, each value `[not.]operator.value` with operator ' +
    'eq, neq, gt, gte, lt, lte, like, ilike (`*` is a wildcard), in (`in.(a,b)`) or is (null, true, false, unknown). ' +
    'Not a parameter named `filters`: its keys go in the query string as they are (`?status=eq.open&price=gte.10`).',
  schema: { type: 'object', additionalProperties: { type: 'string' } },
};

type OpenApiOperation = {
  responses?: object;
  requestBody?: { required?: boolean };
  parameters?: object[];
  security?: object[];
  [key: string]: unknown;
};
type OpenApiDocument = {
  paths?: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, unknown> };
};

/** Names of the component schemas that the document refers to, following references between them. */
function referencedSchemas(document: OpenApiDocument): Set<string> {
  const used = new Set<string>();
  const schemas = document.components?.schemas ?? {};
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')) {
          const name = inner.slice('#/components/schemas/'.length);
          if (!used.has(name)) {
            used.add(name);
            visit(schemas[name]);
          }
        } else visit(inner);
      }
    }
  };
  visit(document.paths);
  return used;
}

/**
 * OpenAPI 3.1 generated from the route schemas: served at /openapi.json, with Swagger UI at /docs. Every operation
 * gets the shared error responses and, as in SelfDB 0.0.5's document, the X-API-Key header parameter (the API key is
 * a documented required header, not a security scheme: one way to say it, the one generated clients of 0.0.5 use).
 * An operation that needs no bearer token says so (`security: []`); schemas no operation uses are left out.
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
        if (operation[COLUMN_FILTERS])
          operation.parameters = [...(operation.parameters ?? []), COLUMN_FILTERS_PARAMETER];
        delete operation[COLUMN_FILTERS];
        operation.security ??= [];
        // A path parameter is one non-empty segment (`/columns/` is another URL): say so to generated clients.
        for (const parameter of (operation.parameters ?? []) as {
          in?: string;
          schema?: Record<string, unknown>;
        }[])
          if (
            parameter.in === 'path' &&
            parameter.schema?.type === 'string' &&
            parameter.schema.minLength === undefined &&
            parameter.schema.format === undefined
          )
            parameter.schema.minLength = 1;
      }
      const used = referencedSchemas(document);
      const schemas = document.components?.schemas ?? {};
      for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
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
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { persistAuthorization: true },
    // Swagger UI's "Try it out" sends requests to the document's server, by default the root of the origin the
    // document came from. Behind a prefix (the dashboard's and Caddy's /api) that is the wrong place: `..` from
    // /docs/json is the API's own root wherever it is mounted (/api/docs/json → /api/). /openapi.json is unchanged.
    transformSpecification: (document) => ({ ...document, servers: [{ url: '..' }] }),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
