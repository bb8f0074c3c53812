import { currentUser } from '../../plugins/auth.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionIdParams, NoContent } from './schemas.ts';

/** DELETE /functions/{function_id}: deletes it (webhooks, runs, logs too) and removes it from the runtime (admins only). */
const deleteFunction: FunctionsRouteModule = (app, ctx) => {
  app.delete<{ Params: FunctionIdParams }>(
    '/functions/:function_id',
    {
      schema: {
        operationId: 'deleteFunction',
        summary: 'Delete a function',
        tags: ['functions'],
        security: BEARER,
        params: FunctionIdParams,
        response: { 204: NoContent('Function deleted') },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function deleteFunctionHandler(request, reply) {
      await ctx.functions.remove(currentUser(request), request.params.function_id);
      return reply.code(204).send();
    },
  );
};

export default deleteFunction;
