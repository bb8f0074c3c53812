import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import type { SqlRouteModule } from './context.ts';
import { SqlSnippetCreate, SqlSnippetRead } from './schemas.ts';

/** POST /sql/snippets: saves a snippet, private unless `is_shared` (admins only). */
const createSnippet: SqlRouteModule = (app, ctx) => {
  app.post<{ Body: SqlSnippetCreate }>(
    '/sql/snippets',
    {
      schema: {
        operationId: 'createSnippet',
        summary: 'Create SQL Snippet',
        tags: ['sql'],
        security: [{ HTTPBearer: [] }],
        body: ref(SqlSnippetCreate),
        response: { 201: ref(SqlSnippetRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleCreateSnippet(request, reply) {
      return reply.code(201).send(await ctx.sql.createSnippet(currentUser(request), request.body));
    },
  );
};

export default createSnippet;
