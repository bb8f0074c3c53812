import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { SqlRouteModule } from './context.ts';
import { SqlSnippetListResponse } from './schemas.ts';

/** GET /sql/snippets: the caller's snippets and every shared one, newest first (admins only). */
const getSnippets: SqlRouteModule = (app, ctx) => {
  app.get(
    '/sql/snippets',
    {
      schema: {
        operationId: 'getSnippets',
        summary: 'Get SQL Snippets',
        tags: ['sql'],
        security: [{ HTTPBearer: [] }],
        response: { 200: ref(SqlSnippetListResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleGetSnippets(request) {
      return ctx.sql.listSnippets(currentUser(request));
    },
  );
};

export default getSnippets;
