/** JSON schemas of the wire contract's requests (common/src/functions.ts); Fastify answers 422 when one fails. */
export const NameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$' } },
  required: ['name'],
} as const;

export const DeployBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: { type: 'integer', minimum: 0, maximum: 2147483647 },
    code: { type: 'string', minLength: 1 },
    env: {
      type: 'object',
      maxProperties: 1000,
      propertyNames: { type: 'string', minLength: 1, maxLength: 255 },
      additionalProperties: { type: 'string', maxLength: 65536 },
    },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
  },
  required: ['version', 'code', 'env', 'timeoutSeconds'],
} as const;

export const RunBody = {
  type: 'object',
  properties: {
    version: { type: 'integer', minimum: 0, maximum: 2147483647 },
    executionId: { type: 'string', minLength: 1, maxLength: 255 },
    triggerType: { type: 'string', enum: ['http', 'schedule', 'database', 'event', 'webhook', 'manual'] },
    request: {
      type: 'object',
      properties: {
        method: { type: 'string', pattern: '^[A-Za-z]{1,16}$' },
        path: { type: 'string', maxLength: 16384 },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        bodyBase64: { type: ['string', 'null'] },
      },
      required: ['method', 'path', 'headers'],
    },
    payload: {},
    user: {
      type: ['object', 'null'],
      properties: { id: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' } },
      required: ['id', 'email', 'role'],
    },
    deliveryId: { type: ['string', 'null'], maxLength: 255 },
  },
  required: ['version', 'executionId', 'triggerType'],
} as const;
