import type { FastifyInstance } from 'fastify';
import type { FunctionsContext } from './context.ts';
import countFunctions from './count-functions.ts';
import createFunction from './create-function.ts';
import deleteFunction from './delete-function.ts';
import deployFunction from './deploy-function.ts';
import getFunction from './get-function.ts';
import listFunctionExecutions from './list-function-executions.ts';
import listFunctionLogs from './list-function-logs.ts';
import listFunctions from './list-functions.ts';
import { functionTriggerRoutes } from './triggers.ts';
import updateFunctionEnv from './update-function-env.ts';
import updateFunction from './update-function.ts';

/**
 * `/functions`: the routes that run functions (./triggers.ts), then the management operations of SelfDB 0.0.5 (all
 * admin only), in its document's order.
 */
export async function functionsRoutes(app: FastifyInstance, ctx: FunctionsContext) {
  await app.register(functionTriggerRoutes, ctx);
  for (const route of [
    countFunctions,
    listFunctions,
    createFunction,
    getFunction,
    updateFunction,
    deleteFunction,
    deployFunction,
    updateFunctionEnv,
    listFunctionExecutions,
    listFunctionLogs,
  ]) {
    route(app, ctx);
  }
}
