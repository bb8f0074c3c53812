import type { FastifyInstance } from 'fastify';
import clearQueryHistory from './clear-history.ts';
import type { SqlContext } from './context.ts';
import createSnippet from './create-snippet.ts';
import deleteSnippet from './delete-snippet.ts';
import executeQuery from './execute-query.ts';
import getQueryHistory from './get-history.ts';
import getSnippets from './list-snippets.ts';

/** The 6 `/sql` operations of SelfDB 0.0.5 (admin only), in its document's order. */
export async function sqlRoutes(app: FastifyInstance, ctx: SqlContext) {
  for (const route of [
    executeQuery,
    getQueryHistory,
    clearQueryHistory,
    getSnippets,
    createSnippet,
    deleteSnippet,
  ]) {
    route(app, ctx);
  }
}
