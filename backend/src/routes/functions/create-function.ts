import { currentUser } from '../../plugins/auth.ts';
import { ref } from '../../schemas/common.ts';
import { BEARER } from '../context.ts';
import type { FunctionsRouteModule } from './context.ts';
import { FunctionCreate, FunctionRead } from './schemas.ts';

/** POST /functions/: a new function at version 1, `pending` (not deployed); 409 FUNCTION_EXISTS (admins only). */
const createFunction: FunctionsRouteModule = (app, ctx) => {
  app.post<{ Body: FunctionCreate }>(
    '/functions/',
    {
      schema: {
        operationId: 'createFunction',
        summary: 'Create a function',
        tags: ['functions'],
        security: BEARER,
        body: ref(FunctionCreate),
        response: { 201: ref(FunctionRead) },
      },
      preHandler: ctx.auth.requireUser,
    },
    async function createFunctionHandler(request, reply) {
      return reply.code(201).send(await ctx.functions.create(currentUser(request), request.body));
    },
  );
};

export default createFunction;
