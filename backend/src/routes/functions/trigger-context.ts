import type { FastifyInstance } from 'fastify';
import type { TriggersService } from '../../modules/functions/triggers.service.ts';
import type { RouteContext } from '../context.ts';

/** What the trigger routes of /functions get: the shared context and the triggers service. */
export interface FunctionTriggersContext extends RouteContext {
  functionTriggers: TriggersService;
}

export type FunctionTriggerRouteModule = (app: FastifyInstance, ctx: FunctionTriggersContext) => void;
