import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER, type TablesRouteModule } from './context.ts';
import { ColumnChangeResponse, ColumnDefinition, TableIdParams } from './schemas.ts';

/** POST /tables/{table_id}/columns: owner or admin adds a column; `table_schema` follows. */
const addColumn: TablesRouteModule = (app, ctx) => {
  app.post<{ Params: TableIdParams; Body: ColumnDefinition }>(
    '/tables/:table_id/columns',
    {
      schema: {
        operationId: 'addColumn',
        summary: 'Add Column',
        description:
          'Answers {"status": "column_added", "column": name}; 409 COLUMN_EXISTS for a taken name.',
        tags: ['tables'],
        security: BEARER,
        params: TableIdParams,
        body: ref(ColumnDefinition),
        response: { 200: ColumnChangeResponse('column_added') },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleAddColumn(request) {
      return ctx.columns.add(currentUser(request), request.params.table_id, request.body);
    },
  );
};

export default addColumn;
