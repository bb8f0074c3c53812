import type { BackupsService } from '../../modules/backups/backups.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What `/backups` routes get: the backups service. */
export interface BackupsContext extends RouteContext {
  backups: BackupsService;
}

export type BackupsRouteModule = RouteModule<BackupsContext>;
