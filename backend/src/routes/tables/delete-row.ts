import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER, type TablesRouteModule } from './context.ts';
import { IdColumnQuery, RowDeleteResponse, RowParams } from './schemas.ts';

/** DELETE /tables/{table_id}/data/{row_id}: the same rule as updating a row. */
const deleteRow: TablesRouteModule = (app, ctx) => {
  app.delete<{ Params: RowParams; Querystring: IdColumnQuery }>(
    '/tables/:table_id/data/:row_id',
    {
      schema: {
        operationId: 'deleteRow',
        summary: 'Delete Row',
        tags: ['tables'],
        security: BEARER,
        params: RowParams,
        querystring: IdColumnQuery,
        response: { 200: ref(RowDeleteResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDeleteRow(request) {
      return ctx.rows.remove(
        currentUser(request),
        request.params.table_id,
        request.params.row_id,
        request.query.id_column ?? 'id',
      );
    },
  );
};

export default deleteRow;
