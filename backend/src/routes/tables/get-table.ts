import { ref } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type TablesRouteModule } from './context.ts';
import { TableIdParams, TableRead } from './schemas.ts';

/** GET /tables/{table_id}: a table the caller can see. */
const getTable: TablesRouteModule = (app, ctx) => {
  app.get<{ Params: TableIdParams }>(
    '/tables/:table_id',
    {
      schema: {
        operationId: 'readTable',
        summary: 'Get Table',
        description:
          'Public tables: anyone. Private tables: their owner and admins; 401 without a token, 404 for other users.',
        tags: ['tables'],
        security: OPTIONAL_BEARER,
        params: TableIdParams,
        response: { 200: ref(TableRead) },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleReadTable(request) {
      return ctx.tables.get(request.user, request.params.table_id);
    },
  );
};

export default getTable;
