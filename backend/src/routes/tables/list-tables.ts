import { Type } from 'typebox';
import { ref } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type TablesRouteModule } from './context.ts';
import { ListTablesQuery, TableRead } from './schemas.ts';

/** GET /tables/: the tables the caller can see, bare array as SelfDB 0.0.5. */
const listTables: TablesRouteModule = (app, ctx) => {
  app.get<{ Querystring: ListTablesQuery }>(
    '/tables/',
    {
      schema: {
        operationId: 'readTables',
        summary: 'List Tables',
        description:
          'Public tables for anonymous callers; public tables and their own for signed-in users; every table ' +
          'for admins. search matches name or description (case-insensitive, literally).',
        tags: ['tables'],
        security: OPTIONAL_BEARER,
        querystring: ListTablesQuery,
        response: { 200: Type.Array(ref(TableRead)) },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleReadTables(request) {
      // Ajv fills the defaults; the fallbacks only satisfy the types.
      const { skip = 0, limit = 100, search, sort_by = 'created_at', sort_order = 'desc' } = request.query;
      return ctx.tables.list(request.user, { skip, limit, search, sortBy: sort_by, sortOrder: sort_order });
    },
  );
};

export default listTables;
