import type { FastifyInstance } from 'fastify';
import type { Deployer } from '../../modules/functions/deployer.ts';
import type { FunctionsService } from '../../modules/functions/functions.service.ts';
import type { RuntimeClient } from '../../modules/functions/runtime-client.ts';
import type { RouteContext } from '../context.ts';

/**
 * What the `/functions` and `/webhooks` areas get (built once in app.ts, `functionsCtx`): the runtime client, the
 * deployer that pushes deployed code to it, and the management service. Whatever runs functions (the runner, the
 * invoke route, the job worker) takes its deployer and runtime client from here.
 */
export interface FunctionsContext extends RouteContext {
  runtime: RuntimeClient;
  deployer: Deployer;
  functions: FunctionsService;
}

export type FunctionsRouteModule = (app: FastifyInstance, ctx: FunctionsContext) => void;
