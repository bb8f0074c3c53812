import { Type } from 'typebox';
import { currentUser } from '../../plugins/auth.ts';
import type { SchemaRouteModule } from './context.ts';

/** GET /schema/tables: names of the tables the visualization shows (admins only). */
const listSchemaTables: SchemaRouteModule = (app, ctx) => {
  app.get(
    '/schema/tables',
    {
      schema: {
        operationId: 'listSchemaTables',
        summary: 'List All Table Names',
        tags: ['schema'],
        security: [{ HTTPBearer: [] }],
        response: {
          200: Type.Array(Type.String()),
          500: { description: 'Internal Server Error', $ref: 'ErrorResponse#' },
        },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleListSchemaTables(request) {
      return ctx.schema.tableNames(currentUser(request));
    },
  );
};

export default listSchemaTables;
