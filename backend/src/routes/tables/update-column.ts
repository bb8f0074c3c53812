import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER, type TablesRouteModule } from './context.ts';
import { ColumnParams, ColumnUpdate, ColumnUpdateResponse } from './schemas.ts';

/** PATCH /tables/{table_id}/columns/{column_name}: rename, type, nullability, default (owner or admin). */
const updateColumn: TablesRouteModule = (app, ctx) => {
  app.patch<{ Params: ColumnParams; Body: ColumnUpdate }>(
    '/tables/:table_id/columns/:column_name',
    {
      schema: {
        operationId: 'updateColumn',
        summary: 'Update Column',
        description:
          'Answers {"status": "column_updated", "column": final name}, or {"status": "no_changes"}. Change ' +
          'capture and table_schema follow a rename.',
        tags: ['tables'],
        security: BEARER,
        params: ColumnParams,
        body: ref(ColumnUpdate),
        response: { 200: ColumnUpdateResponse },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleUpdateColumn(request) {
      return ctx.columns.update(
        currentUser(request),
        request.params.table_id,
        request.params.column_name,
        request.body,
      );
    },
  );
};

export default updateColumn;
