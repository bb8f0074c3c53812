import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionIdParams, FunctionRead } from './schemas.ts';

/** GET /functions/{function_id}: one function (admins only). */
const getFunction: FunctionsRouteModule = (app, ctx) => {
  app.get<{ Params: FunctionIdParams }>(
    '/functions/:function_id',
    {
      schema: {
        operationId: 'getFunction',
        summary: 'Get a function',
        tags: ['functions'],
        security: BEARER,
        params: FunctionIdParams,
        response: { 200: ref(FunctionRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function getFunctionHandler(request) {
      return ctx.functions.get(currentUser(request), request.params.function_id);
    },
  );
};

export default getFunction;
