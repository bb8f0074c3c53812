import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionIdParams, FunctionLogListResponse, ListLogsQuery } from './schemas.ts';

/** GET /functions/{function_id}/logs: the function's log lines, newest first, optionally of one `level` (admins only). */
const listFunctionLogs: FunctionsRouteModule = (app, ctx) => {
  app.get<{ Params: FunctionIdParams; Querystring: ListLogsQuery }>(
    '/functions/:function_id/logs',
    {
      schema: {
        operationId: 'listFunctionLogs',
        summary: 'List the log lines of a function',
        tags: ['functions'],
        security: BEARER,
        params: FunctionIdParams,
        querystring: ListLogsQuery,
        response: { 200: ref(FunctionLogListResponse) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function listFunctionLogsHandler(request) {
      const { limit = 100, offset = 0, level } = request.query;
      return ctx.functions.listLogs(currentUser(request), request.params.function_id, {
        limit,
        offset,
        level,
      });
    },
  );
};

export default listFunctionLogs;
