import { AppError, ErrorCode } from '@selfdb/common';
import type { FastifyRequest } from 'fastify';
import { BEARER, type TablesRouteModule } from './context.ts';
import { InsertRowQuery, InsertRowResponse, RowBody, TableIdParams } from './schemas.ts';

/**
 * `?on_conflict=a,b`, the only query parameter of the insert route (declared in InsertRowQuery, so it is documented
 * and any other parameter answers 400 UNKNOWN_QUERY_PARAMETER); checked here as a list of column names.
 */
function onConflictOf(request: FastifyRequest): string[] | null {
  const query = request.query as Record<string, unknown>;
  const unknown = Object.keys(query).filter((key) => key !== 'on_conflict');
  if (unknown.length)
    throw AppError.badRequest(
      `Unknown query parameters: ${unknown.join(', ')}`,
      ErrorCode.UNKNOWN_QUERY_PARAMETER,
    );
  const value = query.on_conflict;
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '')
    throw AppError.badRequest('on_conflict takes one list of column names: a,b', ErrorCode.INVALID_FILTER);
  return value.split(',').map((name) => name.trim());
}

/** POST /tables/{table_id}/data: one row, or an array of rows in one statement; `on_conflict` makes it an upsert. */
const insertRow: TablesRouteModule = (app, ctx) => {
  app.post<{ Params: TableIdParams; Body: unknown }>(
    '/tables/:table_id/data',
    {
      schema: {
        operationId: 'insertRow',
        summary: 'Insert Row',
        description:
          'Signed-in users, on tables they can see. A JSON object inserts one row ({"status": "row_inserted", ' +
          '"data": row}); an array inserts up to 1000 rows in one statement ({"status": "rows_inserted", "data": ' +
          'rows}). `?on_conflict=col` updates the existing row instead (upsert), under the same rule as PATCH. ' +
          'A table with a user_id column gets the caller as user_id when the row has none.',
        tags: ['tables'],
        security: BEARER,
        params: TableIdParams,
        querystring: InsertRowQuery,
        body: RowBody,
        response: { 200: InsertRowResponse },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleInsertRow(request) {
      const onConflict = onConflictOf(request);
      // optionalUser: the service answers an anonymous insert 401 (or 404 for a table it may not know about).
      return ctx.rows.insert(request.user, request.params.table_id, request.body, onConflict);
    },
  );
};

export default insertRow;
