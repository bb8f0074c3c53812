import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionEnvVarsUpdate, FunctionIdParams, FunctionRead } from './schemas.ts';

/** PUT /functions/{function_id}/env: replaces `env_vars`; a deployed function gets them at once (admins only). */
const updateFunctionEnv: FunctionsRouteModule = (app, ctx) => {
  app.put<{ Params: FunctionIdParams; Body: FunctionEnvVarsUpdate }>(
    '/functions/:function_id/env',
    {
      schema: {
        operationId: 'updateFunctionEnvVars',
        summary: 'Replace the environment variables of a function',
        tags: ['functions'],
        security: BEARER,
        params: FunctionIdParams,
        body: ref(FunctionEnvVarsUpdate),
        response: { 200: ref(FunctionRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function updateFunctionEnvHandler(request) {
      return ctx.functions.setEnv(currentUser(request), request.params.function_id, request.body.env_vars);
    },
  );
};

export default updateFunctionEnv;
