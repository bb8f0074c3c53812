import { currentUser } from '../../plugins/auth.ts';
import type { SqlRouteModule } from './context.ts';
import { NoContent, SnippetIdParams } from './schemas.ts';

/** DELETE /sql/snippets/{snippet_id}: the caller's own snippets and shared ones (admins only). */
const deleteSnippet: SqlRouteModule = (app, ctx) => {
  app.delete<{ Params: SnippetIdParams }>(
    '/sql/snippets/:snippet_id',
    {
      schema: {
        operationId: 'deleteSnippet',
        summary: 'Delete SQL Snippet',
        tags: ['sql'],
        security: [{ HTTPBearer: [] }],
        params: SnippetIdParams,
        response: { 204: NoContent('Snippet deleted') },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function handleDeleteSnippet(request, reply) {
      await ctx.sql.deleteSnippet(currentUser(request), request.params.snippet_id);
      return reply.code(204).send();
    },
  );
};

export default deleteSnippet;
