import { Type } from 'typebox';
import { currentUser } from '../../plugins/auth.ts';
import { BEARER } from '../context.ts';
import { SearchQuery } from '../../schemas/common.ts';
import type { FunctionsRouteModule } from './context.ts';

/** GET /functions/count: number of functions whose name or description contains `search` (admins only). */
const countFunctions: FunctionsRouteModule = (app, ctx) => {
  app.get<{ Querystring: SearchQuery }>(
    '/functions/count',
    {
      schema: {
        operationId: 'getFunctionCount',
        summary: 'Count functions',
        tags: ['functions'],
        security: BEARER,
        querystring: SearchQuery,
        response: { 200: Type.Integer() },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function countFunctionsHandler(request) {
      return ctx.functions.count(currentUser(request), request.query.search);
    },
  );
};

export default countFunctions;
