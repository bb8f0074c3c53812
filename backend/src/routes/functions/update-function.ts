import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionIdParams, FunctionRead, FunctionUpdate } from './schemas.ts';

/** PATCH /functions/{function_id}: edits a function; new code is a new version, `pending` (admins only). */
const updateFunction: FunctionsRouteModule = (app, ctx) => {
  app.patch<{ Params: FunctionIdParams; Body: FunctionUpdate }>(
    '/functions/:function_id',
    {
      schema: {
        operationId: 'updateFunction',
        summary: 'Update a function',
        tags: ['functions'],
        security: BEARER,
        params: FunctionIdParams,
        body: ref(FunctionUpdate),
        response: { 200: ref(FunctionRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function updateFunctionHandler(request) {
      return ctx.functions.update(currentUser(request), request.params.function_id, request.body);
    },
  );
};

export default updateFunction;
