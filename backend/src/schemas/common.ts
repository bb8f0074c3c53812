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

const errorResponse = (description: string, schema = 'ErrorResponse') => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});
/**
 * Error responses every documented operation can give (the API key check alone gives 401 and 406; the HTTP layer
 * 408, 413, 414, 415 and 431 before any route runs; a database that does not answer 503, a statement over its time
 * limit 504; a bug 500), as OpenAPI responses. Documented only: the error handler renders these bodies, so they are not route response schemas (which
 * would cost every route eight more compiled serializers at start-up).
 */
export const ERROR_RESPONSES = {
  400: errorResponse('Bad Request'),
  401: errorResponse('Unauthorized'),
  403: errorResponse('Forbidden'),
  404: errorResponse('Not Found'),
  406: errorResponse('Missing API key'),
  408: errorResponse('Request Timeout: the request was not received in time'),
  409: errorResponse('Conflict'),
  413: errorResponse('Payload Too Large: the body is over the size limit'),
  414: errorResponse('URI Too Long'),
  415: errorResponse('Unsupported Media Type: a body of a type the operation does not take'),
  422: errorResponse('Validation Error', 'HTTPValidationError'),
  429: errorResponse('Too Many Requests'),
  431: errorResponse('Request Header Fields Too Large'),
  500: errorResponse('Internal Server Error'),
  503: errorResponse('Service Unavailable: the database (or a service the operation needs) does not answer'),
  504: errorResponse('Gateway Timeout: a database statement ran over its time limit and was cancelled'),
};

export const Uuid = Type.String({ format: 'uuid' });
export type Uuid = Static<typeof Uuid>;

/** `search` as SelfDB 0.0.5 validates it: printable ASCII, at most 100 characters. */
export const SearchTerm = Type.String({ maxLength: 100, pattern: '^[\\x20-\\x7E]*$' });

/** The query of the `/count` operations. */
export const SearchQuery = Type.Object({ search: Type.Optional(SearchTerm) });
export type SearchQuery = Static<typeof SearchQuery>;

/** List paging and ordering parameters shared by the list operations. */
export const Skip = Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, default: 0 }));
export const SortOrder = Type.Optional(
  Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
    default: 'desc',
    description: 'Sort order (ascending or descending)',
  }),
);

/** A body field that may be absent or null (null: leave unchanged, or clear, as the operation says). */
export const Nullable = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/**
 * A `$ref` to a shared schema (added with `app.addSchema`) that keeps the TypeBox type, so handlers stay typed and
 * the OpenAPI document names the component instead of inlining it.
 */
export function ref<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T>>({ $ref: `${(schema as { $id?: string }).$id}#` });
}
