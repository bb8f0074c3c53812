import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionIdParams, FunctionRead } from './schemas.ts';

/**
 * POST /functions/{function_id}/deploy: pushes the latest version to the runtime. Answers the function as 0.0.5
 * does: `deployed`, or `failed` with the runtime's reason (the line) in `deployment_error` and the previously
 * deployed version still running; 503 FUNCTIONS_UNAVAILABLE (nothing changed) when the runtime is down (admins only).
 */
const deployFunction: FunctionsRouteModule = (app, ctx) => {
  app.post<{ Params: FunctionIdParams }>(
    '/functions/:function_id/deploy',
    {
      schema: {
        operationId: 'deployFunction',
        summary: 'Deploy a function',
        tags: ['functions'],
        security: BEARER,
        params: FunctionIdParams,
        response: { 200: ref(FunctionRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function deployFunctionHandler(request) {
      return ctx.functions.deploy(currentUser(request), request.params.function_id);
    },
  );
};

export default deployFunction;
