import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER, type TablesRouteModule } from './context.ts';
import { TableCreate, TableRead } from './schemas.ts';

/** POST /tables/: creates a table and its registry entry (signed-in users). */
const createTable: TablesRouteModule = (app, ctx) => {
  app.post<{ Body: TableCreate }>(
    '/tables/',
    {
      schema: {
        operationId: 'createTable',
        summary: 'Create Table',
        description:
          'Creates a table owned by the caller. Column types come from an allowlist; id (uuid primary key), ' +
          'created_at and updated_at are added when absent. A taken name answers 409 TABLE_EXISTS.',
        tags: ['tables'],
        security: BEARER,
        body: ref(TableCreate),
        response: { 201: ref(TableRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleCreateTable(request, reply) {
      const table = await ctx.tables.create(currentUser(request), request.body);
      return reply.code(201).send(table);
    },
  );
};

export default createTable;
