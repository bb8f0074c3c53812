import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionListResponse, ListFunctionsQuery } from './schemas.ts';

/** GET /functions/: a page of functions, `{functions, total, limit, offset}`, NULLS LAST (admins only). */
const listFunctions: FunctionsRouteModule = (app, ctx) => {
  app.get<{ Querystring: ListFunctionsQuery }>(
    '/functions/',
    {
      schema: {
        operationId: 'listFunctions',
        summary: 'List functions',
        tags: ['functions'],
        security: BEARER,
        querystring: ListFunctionsQuery,
        response: { 200: ref(FunctionListResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function listFunctionsHandler(request) {
      // Ajv fills the defaults; the fallbacks only satisfy the types.
      const { limit = 20, offset = 0, search, sort_by = 'created_at', sort_order = 'desc' } = request.query;
      return ctx.functions.list(currentUser(request), {
        limit,
        offset,
        search,
        sortBy: sort_by,
        sortOrder: sort_order,
      });
    },
  );
};

export default listFunctions;
