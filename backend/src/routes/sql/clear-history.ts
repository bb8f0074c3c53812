import { currentUser } from '../../plugins/auth.ts';
import type { SqlRouteModule } from './context.ts';
import { NoContent } from './schemas.ts';

/** DELETE /sql/history: clears the caller's own console history (admins only). */
const clearQueryHistory: SqlRouteModule = (app, ctx) => {
  app.delete(
    '/sql/history',
    {
      schema: {
        operationId: 'clearQueryHistory',
        summary: 'Clear Query History',
        tags: ['sql'],
        security: [{ HTTPBearer: [] }],
        response: { 204: NoContent('History cleared') },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleClearQueryHistory(request, reply) {
      await ctx.sql.clearHistory(currentUser(request));
      return reply.code(204).send();
    },
  );
};

export default clearQueryHistory;
