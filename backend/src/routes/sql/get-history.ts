import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { SqlRouteModule } from './context.ts';
import { HistoryQuery, SqlHistoryListResponse } from './schemas.ts';

/** GET /sql/history: the caller's console history, newest first (admins only). */
const getQueryHistory: SqlRouteModule = (app, ctx) => {
  app.get<{ Querystring: HistoryQuery }>(
    '/sql/history',
    {
      schema: {
        operationId: 'getQueryHistory',
        summary: 'Get Query History',
        tags: ['sql'],
        security: [{ HTTPBearer: [] }],
        querystring: HistoryQuery,
        response: { 200: ref(SqlHistoryListResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    // Ajv fills the default; the fallback only satisfies the types.
    async function handleGetQueryHistory(request) {
      return ctx.sql.listHistory(currentUser(request), request.query.limit ?? 100);
    },
  );
};

export default getQueryHistory;
