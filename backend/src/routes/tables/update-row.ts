import { currentUser } from '../../plugins/auth.ts';
import { BEARER, type TablesRouteModule } from './context.ts';
import { IdColumnQuery, RowBody, RowParams, UpdateRowResponse } from './schemas.ts';

/** PATCH /tables/{table_id}/data/{row_id}: admins and the table owner any row, others rows with their user_id. */
const updateRow: TablesRouteModule = (app, ctx) => {
  app.patch<{ Params: RowParams; Querystring: IdColumnQuery; Body: unknown }>(
    '/tables/:table_id/data/:row_id',
    {
      schema: {
        operationId: 'updateRow',
        summary: 'Update Row',
        description:
          'Answers {"status": "row_updated", "data": row}. id_column (default id) must be the primary key or a ' +
          'unique column. Admins and the table owner may update any row; other users, when the table has a ' +
          'user_id column, the rows whose user_id is theirs.',
        tags: ['tables'],
        security: BEARER,
        params: RowParams,
        querystring: IdColumnQuery,
        body: RowBody.anyOf[0],
        response: { 200: UpdateRowResponse },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleUpdateRow(request) {
      return ctx.rows.update(
        currentUser(request),
        request.params.table_id,
        request.params.row_id,
        request.query.id_column ?? 'id',
        request.body,
      );
    },
  );
};

export default updateRow;
