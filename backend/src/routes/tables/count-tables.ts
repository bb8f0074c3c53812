import { Type } from 'typebox';
import { SearchQuery } from '../../schemas/common.ts';
import { OPTIONAL_BEARER, type TablesRouteModule } from './context.ts';

/** GET /tables/count: how many tables the caller can see (the same rule as the list). */
const countTables: TablesRouteModule = (app, ctx) => {
  app.get<{ Querystring: SearchQuery }>(
    '/tables/count',
    {
      schema: {
        operationId: 'getTableCount',
        summary: 'Get Table Count',
        description:
          'Number of tables the caller can see, optionally filtered by name or description: public tables, ' +
          'plus their own when signed in; every table for admins.',
        tags: ['tables'],
        security: OPTIONAL_BEARER,
        querystring: SearchQuery,
        response: { 200: Type.Integer() },
      },
      preHandler: ctx.auth.optionalUser,
    },
    async function handleGetTableCount(request) {
      return ctx.tables.count(request.user, request.query.search);
    },
  );
};

export default countTables;
