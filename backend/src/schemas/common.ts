import { type Static, type TSchema, Type } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    detail: Type.String({ description: 'What went wrong (SelfDB 0.0.5 text)' }),
    code: Type.String({ description: 'Stable error code, listed in docs/ERROR_CODES.md' }),
  },
  { $id: 'ErrorResponse', title: 'ErrorResponse' },
);

export const HTTPValidationError = Type.Object(
  {
    detail: Type.Array(
      Type.Object(
        {
          type: Type.String(),
          loc: Type.Array(Type.Union([Type.String(), Type.Integer()])),
          msg: Type.String(),
        },
        { title: 'ValidationError' },
      ),
    ),
    code: Type.String(),
  },
  { $id: 'HTTPValidationError', title: 'HTTPValidationError' },
);

export const SHARED_SCHEMAS = [ErrorResponse, HTTPValidationError];

const errorRef = { $ref: 'ErrorResponse#' };
/** Error responses every documented operation can give (the API key check alone gives 401 and 406). */
export const ERROR_RESPONSES: Record<string, unknown> = {
  400: { description: 'Bad Request', ...errorRef },
  401: { description: 'Unauthorized', ...errorRef },
  403: { description: 'Forbidden', ...errorRef },
  404: { description: 'Not Found', ...errorRef },
  406: { description: 'Missing API key', ...errorRef },
  409: { description: 'Conflict', ...errorRef },
  422: { description: 'Validation Error', $ref: 'HTTPValidationError#' },
  429: { description: 'Too Many Requests', ...errorRef },
};

export const Uuid = Type.String({ format: 'uuid' });
export type Uuid = Static<typeof Uuid>;

/** `search` as SelfDB 0.0.5 validates it: printable ASCII, at most 100 characters. */
export const SearchTerm = Type.String({ maxLength: 100, pattern: '^[\\x20-\\x7E]*$' });

/**
 * A `$ref` to a shared schema (added with `app.addSchema`) that keeps the TypeBox type, so handlers stay typed and
 * the OpenAPI document names the component instead of inlining it.
 */
export function ref<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T>>({ $ref: `${(schema as { $id?: string }).$id}#` });
}
