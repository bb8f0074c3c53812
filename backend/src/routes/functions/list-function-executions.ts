import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionExecutionListResponse, FunctionIdParams, ListExecutionsQuery } from './schemas.ts';

/** GET /functions/{function_id}/executions: the function's runs, newest first (admins only). */
const listFunctionExecutions: FunctionsRouteModule = (app, ctx) => {
  app.get<{ Params: FunctionIdParams; Querystring: ListExecutionsQuery }>(
    '/functions/:function_id/executions',
    {
      schema: {
        operationId: 'listFunctionExecutions',
        summary: 'List the runs of a function',
        tags: ['functions'],
        security: BEARER,
        params: FunctionIdParams,
        querystring: ListExecutionsQuery,
        response: { 200: ref(FunctionExecutionListResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function listFunctionExecutionsHandler(request) {
      const { limit = 20, offset = 0 } = request.query;
      return ctx.functions.listExecutions(currentUser(request), request.params.function_id, {
        limit,
        offset,
      });
    },
  );
};

export default listFunctionExecutions;
