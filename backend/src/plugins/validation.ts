import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

function createAjv(coerceTypes: boolean) {
  // removeAdditional: false keeps `additionalProperties: false` a rejection (422), not a silent strip.
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/**
 * Bodies are validated strictly (a number is not a string); query strings, params and headers are text on the wire
 * and are coerced to the schema's types, as FastAPI does.
 */
export function installValidation(app: FastifyInstance) {
  const strict = createAjv(false);
  const coercing = createAjv(true);
  let sharedAdded = false;
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // Route schemas $ref the shared ones (app.addSchema); a custom Ajv has to be told about them itself.
    if (!sharedAdded) {
      for (const shared of Object.values(app.getSchemas())) {
        strict.addSchema(shared as object);
        coercing.addSchema(shared as object);
      }
      sharedAdded = true;
    }
    return (httpPart === 'body' ? strict : coercing).compile(schema);
  });
}

export interface ValidationDetail {
  type: string;
  loc: (string | number)[];
  msg: string;
}

const LOCATION: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Turns Ajv errors into FastAPI-style `detail` entries: `{type, loc: ['body', 'email'], msg}`. */
export function toValidationDetails(errors: ErrorObject[], context: string): ValidationDetail[] {
  return errors.map((error) => {
    const loc: (string | number)[] = [LOCATION[context] ?? context];
    for (const part of error.instancePath.split('/').slice(1)) {
      loc.push(/^\d+$/.test(part) ? Number(part) : part.replace(/~1/g, '/').replace(/~0/g, '~'));
    }
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'required':
        return { type: 'missing', loc: [...loc, String(params.missingProperty)], msg: 'Field required' };
      case 'additionalProperties':
        return {
          type: 'extra_forbidden',
          loc: [...loc, String(params.additionalProperty)],
          msg: 'Extra inputs are not permitted',
        };
      default:
        return { type: error.keyword, loc, msg: error.message ?? 'Invalid value' };
    }
  });
}
