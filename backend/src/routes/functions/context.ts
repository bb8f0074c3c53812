import type { FunctionsService } from '../../modules/functions/functions.service.ts';
import type { TriggersService } from '../../modules/functions/triggers.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/**
 * What `/functions` routes get: the management service (CRUD, deploy) and the triggers service that runs functions
 * (the HTTP trigger, events, 0.0.5's execution-result callback).
 */
export interface FunctionsContext extends RouteContext {
  functions: FunctionsService;
  functionTriggers: TriggersService;
}

export type FunctionsRouteModule = RouteModule<FunctionsContext>;
