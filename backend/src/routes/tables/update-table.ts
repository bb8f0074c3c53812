import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER, type TablesRouteModule } from './context.ts';
import { TableIdParams, TableRead, TableUpdate } from './schemas.ts';

/** PATCH /tables/{table_id}: owner or admin; renames, visibility, realtime capture, description, metadata. */
const updateTable: TablesRouteModule = (app, ctx) => {
  app.patch<{ Params: TableIdParams; Body: TableUpdate }>(
    '/tables/:table_id',
    {
      schema: {
        operationId: 'updateTable',
        summary: 'Update Table',
        description:
          'Only the owner or an admin. realtime_enabled true/false starts or stops change capture for the ' +
          'realtime service, in the same transaction as the update.',
        tags: ['tables'],
        security: BEARER,
        params: TableIdParams,
        body: ref(TableUpdate),
        response: { 200: ref(TableRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleUpdateTable(request) {
      return ctx.tables.update(currentUser(request), request.params.table_id, request.body);
    },
  );
};

export default updateTable;
