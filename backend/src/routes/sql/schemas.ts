import { type Static, Type } from 'typebox';
import { Nullable, ref, Uuid } from '../../schemas/common.ts';

// Postgres text cannot hold NUL characters.
const NoNul = '^[^\\x00]*$';

export const SqlQueryRequest = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: 100000,
      pattern: NoNul,
      description: 'SQL to run: one statement or a script; the last statement’s rows are returned',
    }),
    confirm_destructive: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Run UPDATE/DELETE without WHERE, DROP, ALTER TABLE … DROP COLUMN and TRUNCATE (refused with 400 otherwise)',
      }),
    ),
  },
  { additionalProperties: false, $id: 'SqlQueryRequest', title: 'SqlQueryRequest' },
);
export type SqlQueryRequest = Static<typeof SqlQueryRequest>;

export const SqlExecutionResult = Type.Object(
  {
    success: Type.Boolean({ description: 'Whether the query executed successfully' }),
    is_read_only: Type.Boolean({
      description: 'Postgres ran the script in a READ ONLY transaction without refusing any of it',
    }),
    execution_time: Type.Number({ description: 'Query execution time in seconds' }),
    row_count: Nullable(Type.Integer({ description: 'Rows returned (at most SQL_MAX_ROWS) or affected' })),
    columns: Nullable(Type.Array(Type.String(), { description: 'Column names of the last statement' })),
    data: Nullable(
      Type.Array(Type.Object({}, { additionalProperties: true }), {
        description: 'Rows of the last statement, cut at SQL_MAX_ROWS (the message then says so)',
      }),
    ),
    message: Nullable(Type.String({ description: 'Success or info message' })),
    error: Nullable(Type.String({ description: 'Error message if query failed' })),
  },
  { $id: 'SqlExecutionResult', title: 'SqlExecutionResult' },
);

export const SqlHistoryRead = Type.Object(
  {
    id: Uuid,
    query: Type.String(),
    is_read_only: Type.Boolean(),
    execution_time: Type.Number(),
    row_count: Nullable(Type.Integer()),
    error: Nullable(Type.String()),
    executed_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'SqlHistoryRead', title: 'SqlHistoryRead' },
);

export const SqlHistoryListResponse = Type.Object(
  { history: Type.Array(ref(SqlHistoryRead)) },
  { $id: 'SqlHistoryListResponse', title: 'SqlHistoryListResponse' },
);

export const HistoryQuery = Type.Object({
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 500,
      default: 100,
      description: 'Maximum number of history entries to return',
    }),
  ),
});
export type HistoryQuery = Static<typeof HistoryQuery>;

export const SqlSnippetCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: NoNul, description: 'Name of the snippet' }),
    sql_code: Type.String({
      minLength: 1,
      maxLength: 100000,
      pattern: NoNul,
      description: 'SQL code for the snippet',
    }),
    description: Nullable(Type.String({ maxLength: 500, pattern: NoNul })),
    is_shared: Type.Optional(
      Type.Boolean({ default: false, description: 'Whether the snippet is shared with other admins' }),
    ),
  },
  { additionalProperties: false, $id: 'SqlSnippetCreate', title: 'SqlSnippetCreate' },
);
export type SqlSnippetCreate = Static<typeof SqlSnippetCreate>;

export const SqlSnippetRead = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    sql_code: Type.String(),
    description: Nullable(Type.String()),
    is_shared: Type.Boolean({ default: false }),
    created_by: Uuid,
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'SqlSnippetRead', title: 'SqlSnippetRead' },
);

export const SqlSnippetListResponse = Type.Object(
  { snippets: Type.Array(ref(SqlSnippetRead)) },
  { $id: 'SqlSnippetListResponse', title: 'SqlSnippetListResponse' },
);

export const SnippetIdParams = Type.Object({ snippet_id: Uuid });
export type SnippetIdParams = Static<typeof SnippetIdParams>;

/** Documents a 204: no body. */
export const NoContent = (description: string) => Type.Null({ description });

export const SQL_SCHEMAS = [
  SqlQueryRequest,
  SqlExecutionResult,
  SqlHistoryRead,
  SqlHistoryListResponse,
  SqlSnippetCreate,
  SqlSnippetRead,
  SqlSnippetListResponse,
];
