import { currentUser } from '../../plugins/auth.ts';
import { BEARER, type TablesRouteModule } from './context.ts';
import { ColumnChangeResponse, ColumnParams } from './schemas.ts';

/** DELETE /tables/{table_id}/columns/{column_name}: owner or admin; 404 when there is no such column. */
const deleteColumn: TablesRouteModule = (app, ctx) => {
  app.delete<{ Params: ColumnParams }>(
    '/tables/:table_id/columns/:column_name',
    {
      schema: {
        operationId: 'deleteColumn',
        summary: 'Delete Column',
        description: 'Answers {"status": "column_deleted", "column": name}.',
        tags: ['tables'],
        security: BEARER,
        params: ColumnParams,
        response: { 200: ColumnChangeResponse('column_deleted') },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDeleteColumn(request) {
      return ctx.columns.remove(currentUser(request), request.params.table_id, request.params.column_name);
    },
  );
};

export default deleteColumn;
