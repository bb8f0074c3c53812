import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER, type TablesRouteModule } from './context.ts';
import { TableDeleteResponse, TableIdParams } from './schemas.ts';

/** DELETE /tables/{table_id}: owner or admin; drops the table and its registry entry together. */
const deleteTable: TablesRouteModule = (app, ctx) => {
  app.delete<{ Params: TableIdParams }>(
    '/tables/:table_id',
    {
      schema: {
        operationId: 'deleteTable',
        summary: 'Delete Table',
        tags: ['tables'],
        security: BEARER,
        params: TableIdParams,
        response: { 200: ref(TableDeleteResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDeleteTable(request) {
      return ctx.tables.remove(currentUser(request), request.params.table_id);
    },
  );
};

export default deleteTable;
