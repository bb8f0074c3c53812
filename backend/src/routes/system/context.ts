import type { SystemService } from '../../modules/system/system.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What the system routes (/health, /system/status) get. */
export interface SystemContext extends RouteContext {
  system: SystemService;
}

export type SystemRouteModule = RouteModule<SystemContext>;
